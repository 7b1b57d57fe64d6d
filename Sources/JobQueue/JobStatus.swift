public import Core

/// A job as `GET /v1/jobs/{id}` answers it (docs/ARCHITECTURE.md §3.2), and as `medinfer jobs show --json`
/// prints it. Times are ISO 8601 (UTC, milliseconds).
public struct JobStatus: Codable, Sendable, Equatable {
    public struct Image: Codable, Sendable, Equatable {
        public var index: Int
        public var status: JobState
        /// The file name given at submission, if any.
        public var name: String?
        public var attempts: Int
        public var error: String?
    }

    public var id: String
    public var status: JobState
    /// The exact version the job runs on, fixed at submission.
    public var model: ModelRef
    /// 0...9, 9 most urgent.
    public var priority: Int
    public var createdAt: String
    public var startedAt: String?
    public var finishedAt: String?
    /// The most attempts any of its images took (1 for a job that ran once).
    public var attempts: Int
    /// Queued jobs ahead of this one in claim order (0: next); nil unless queued.
    public var queuePosition: Int?
    public var images: [Image]
    /// Why the job failed (a summary of its failed images).
    public var error: String?
    public var idempotencyKey: String?
}

/// One page of `list`: newest first.
public struct JobPage: Codable, Sendable, Equatable {
    public var jobs: [JobStatus]
    /// Pass to `list(cursor:)` for the next page; nil on the last page.
    public var nextCursor: String?
}

/// What `submit` did: `created` is false when an idempotent resubmission found its earlier job
/// (HTTP answers 200 then, 202 for a new job).
public struct Submission: Sendable, Equatable {
    public var job: JobStatus
    public var created: Bool
}
