/// Why a queue operation was refused or failed. Every case carries what a caller needs to answer well:
/// the HTTP layer maps them to 400/404/409/429/507, the CLI to exit codes 1 and 2.
public enum JobQueueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file or folder of the data directory or blob store could not be created, written, synced or
    /// read (disk full, read-only, permissions). Nothing half-written is left referenced.
    case storage(path: String, reason: String)
    /// The database refused or failed a statement (SQLite locked too long, corrupt file, PostgreSQL
    /// unreachable, ...).
    case database(String)
    /// No job with this id.
    case notFound(id: String)
    /// The idempotency key is already used by `job` with other content (images, model or priority).
    case idempotencyConflict(key: String, job: String)
    /// More than `limit` images are waiting; try again after `retryAfterSeconds` (an estimate from the
    /// recent completion rate).
    case queueFull(queued: Int, limit: Int, retryAfterSeconds: Int)
    /// Only queued jobs can be cancelled.
    case notCancellable(id: String, status: JobState)
    /// Only succeeded jobs can be reviewed.
    case notReviewable(id: String, status: JobState)
    /// A bad argument: priority outside 0...9, no images, an unreadable cursor, ...
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .storage(path, reason): "\(path): \(reason)"
        case let .database(reason): "job database: \(reason)"
        case let .notFound(id): "no job \(id)"
        case let .idempotencyConflict(key, job):
            "idempotency key '\(key)' was already used by job \(job) with other content"
        case let .queueFull(queued, limit, retry):
            "the queue is full (\(queued) images waiting, limit \(limit)); retry after \(retry) s"
        case let .notCancellable(id, status): "job \(id) is \(status.rawValue); only queued jobs can be cancelled"
        case let .notReviewable(id, status): "job \(id) is \(status.rawValue); only succeeded jobs can be reviewed"
        case let .invalidArgument(reason): reason
        }
    }
}
