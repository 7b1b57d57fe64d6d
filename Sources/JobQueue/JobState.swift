/// The life of a job and of each of its images: `queued -> running -> succeeded | failed | cancelled`.
/// A transient failure or a dead worker sends an image back to `queued`.
public enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, running, succeeded, failed, cancelled

    /// No further change will happen.
    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }

    /// The SQL `CHECK` list, so the schema and the enum cannot drift apart unnoticed (a new case needs a
    /// new migration, which a test of the schema catches).
    static let sqlList = allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
}
