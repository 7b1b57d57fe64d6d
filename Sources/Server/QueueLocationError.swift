public import JobQueue

/// Why the queue's location is refused, or why the queue there could not be opened.
public enum QueueLocationError: Error, Sendable, CustomStringConvertible {
    /// `--database` / `MEDINFER_DATABASE` is not `sqlite` or a PostgreSQL URL (the reason never repeats
    /// the value: it may hold a password).
    case invalidDatabase(String)
    /// The queue's own failure to open (storage, database).
    case queue(JobQueueError)

    public var description: String {
        switch self {
        case .invalidDatabase(let reason): "database: \(reason)"
        case .queue(let error): error.description
        }
    }
}
