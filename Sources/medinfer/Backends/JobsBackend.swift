import Inference
import Annotations
import Foundation
import JobQueue

/// Where the `jobs` and `review` commands get their data: the queue of a local data directory
/// (`LocalJobsBackend`) or a running server over HTTP (`RemoteJobsBackend`, with `--server`). The commands
/// print what either returns the same way, so both modes show the same tables, JSON and exit codes.
///
/// Every method throws `CLIError` with a message ready for the terminal.
protocol JobsBackend {
    /// Queues one job of `files` (already checked to decode); `model` is `NAME[:VERSION]` or nil (the default).
    func submit(files: [String], model: String?, priority: Int, idempotencyKey: String?) async throws -> SubmittedJob
    func list(state: JobState?, limit: Int, cursor: String?) async throws -> JobPage
    func status(_ id: String) async throws -> JobStatus
    func cancel(_ id: String) async throws -> JobStatus
    /// The job and the reports of its finished images.
    func result(_ id: String) async throws -> JobReports
    /// The job's reports as one DICOM SR (Part 10 bytes).
    func structuredReport(_ id: String) async throws -> Data
    /// The stored overlay PNG of one image.
    func overlay(job: String, image: Int) async throws -> Data
    func worklist(includeReviewed: Bool) async throws -> [WorklistItem]
    func reviews(for id: String) async throws -> [Review]
    /// Records a verdict. `reviewer` is required locally; a server records the API key's name instead.
    func recordReview(job: String, agree: Bool, comment: String?, reviewer: String?) async throws -> Review
}

/// What `submit` did: `created` is false when an idempotency key found an earlier job.
struct SubmittedJob {
    var job: JobStatus
    var created: Bool
}

/// A job and one report per succeeded image, as `GET /v1/jobs/{id}/result` answers.
struct JobReports: Codable {
    var job: JobStatus
    var reports: [Report]
}
