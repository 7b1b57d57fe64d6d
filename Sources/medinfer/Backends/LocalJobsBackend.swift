import Inference
import Server
import Models
import Annotations
import Foundation
import JobQueue

/// The jobs of a local data directory, through `JobQueue`.
struct LocalJobsBackend: JobsBackend {
    let queue: JobQueue
    /// Resolves `--model` for `submit` (nil: the command does not submit).
    let repository: RepositoryOptions?

    func submit(files: [String], model: String?, priority: Int, idempotencyKey: String?) throws -> SubmittedJob {
        guard let repository else { throw CLIError.internal("submit without a model repository") }
        let loaded = try repository.resolve(model)
        let submission = try queueCall { () throws(JobQueueError) in
            var uploads: [ImageUpload] = []
            for file in files {
                let upload = try queue.beginUpload(name: (file as NSString).lastPathComponent)
                try upload.write(contentsOf: URL(fileURLWithPath: file))
                uploads.append(upload)
            }
            return try queue.submit(uploads, model: loaded.ref, priority: priority, idempotencyKey: idempotencyKey)
        }
        return SubmittedJob(job: submission.job, created: submission.created)
    }

    func list(state: JobState?, limit: Int, cursor: String?) throws -> JobPage {
        try queueCall { () throws(JobQueueError) in try queue.list(state: state, limit: limit, cursor: cursor) }
    }

    func status(_ id: String) throws -> JobStatus {
        try queueCall { () throws(JobQueueError) in try queue.status(id) }
    }

    func cancel(_ id: String) throws -> JobStatus {
        try queueCall { () throws(JobQueueError) in try queue.cancel(id) }
    }

    func result(_ id: String) throws -> JobReports {
        let result = try queueCall { () throws(JobQueueError) in try queue.result(id) }
        return JobReports(job: result.job, reports: result.reports.map { $0.servingOverlays() })
    }

    func structuredReport(_ id: String) throws -> Data {
        let inputs = try queueCall { () throws(JobQueueError) in try queue.structuredReportInputs(id) }
        guard !inputs.isEmpty else {
            let job = try status(id)
            throw CLIError(message: "job \(id) is \(job.status.rawValue) and has no succeeded image to report", exitCode: 1)
        }
        do { return try StructuredReportWriter().write(inputs) } catch {
            throw CLIError(message: "job \(id): cannot make the DICOM SR: \(error)", exitCode: 1)
        }
    }

    func overlay(job: String, image: Int) throws -> Data {
        try queueCall { () throws(JobQueueError) in
            try queue.artifact(job: job, image: image, name: Artifact.overlayName).data
        }
    }

    func worklist(includeReviewed: Bool) throws -> [WorklistItem] {
        try queueCall { () throws(JobQueueError) in try queue.worklist(includeReviewed: includeReviewed) }
    }

    func reviews(for id: String) throws -> [Review] {
        try queueCall { () throws(JobQueueError) in try queue.reviews(for: id) }
    }

    func recordReview(job: String, agree: Bool, comment: String?, reviewer: String?) throws -> Review {
        guard let reviewer else {
            throw CLIError(message: "who is reviewing? Pass --reviewer NAME or set MEDINFER_REVIEWER", exitCode: 1)
        }
        return try queueCall { () throws(JobQueueError) in
            try queue.recordReview(job: job, agree: agree, comment: comment, reviewer: reviewer)
        }
    }
}
