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

    func submit(files: [String], model: String?, priority: Int, idempotencyKey: String?) async throws -> SubmittedJob {
        guard let repository else { throw CLIError.internal("submit without a model repository") }
        let loaded = try repository.resolve(model)
        let submission = try await queueCall { () async throws(JobQueueError) in
            var uploads: [ImageUpload] = []
            for file in files {
                let upload = try await queue.beginUpload(name: (file as NSString).lastPathComponent)
                try await upload.write(contentsOf: URL(fileURLWithPath: file))
                uploads.append(upload)
            }
            return try await queue.submit(uploads, model: loaded.ref, priority: priority, idempotencyKey: idempotencyKey)
        }
        return SubmittedJob(job: submission.job, created: submission.created)
    }

    func list(state: JobState?, limit: Int, cursor: String?) async throws -> JobPage {
        try await queueCall { () async throws(JobQueueError) in try await queue.list(state: state, limit: limit, cursor: cursor) }
    }

    func status(_ id: String) async throws -> JobStatus {
        try await queueCall { () async throws(JobQueueError) in try await queue.status(id) }
    }

    func cancel(_ id: String) async throws -> JobStatus {
        try await queueCall { () async throws(JobQueueError) in try await queue.cancel(id) }
    }

    func result(_ id: String) async throws -> JobReports {
        let result = try await queueCall { () async throws(JobQueueError) in try await queue.result(id) }
        return JobReports(job: result.job, reports: result.reports.map { $0.servingOverlays() })
    }

    func structuredReport(_ id: String) async throws -> Data {
        do { return try await queue.structuredReport(job: id) } catch {
            if case .queue(let failure) = error { throw failure.cli }
            throw CLIError(message: error.description, exitCode: 1)
        }
    }

    func overlay(job: String, image: Int) async throws -> Data {
        try await queueCall { () async throws(JobQueueError) in
            try await queue.artifact(job: job, image: image, name: Artifact.overlayName).data
        }
    }

    func worklist(includeReviewed: Bool) async throws -> [WorklistItem] {
        try await queueCall { () async throws(JobQueueError) in try await queue.worklist(includeReviewed: includeReviewed) }
    }

    func reviews(for id: String) async throws -> [Review] {
        try await queueCall { () async throws(JobQueueError) in try await queue.reviews(for: id) }
    }

    func recordReview(job: String, agree: Bool, comment: String?, reviewer: String?) async throws -> Review {
        guard let reviewer else {
            throw CLIError(message: "who is reviewing? Pass --reviewer NAME or set MEDINFER_REVIEWER", exitCode: 1)
        }
        return try await queueCall { () async throws(JobQueueError) in
            try await queue.recordReview(job: job, agree: agree, comment: comment, reviewer: reviewer)
        }
    }
}
