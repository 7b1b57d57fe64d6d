public import Foundation
public import JobQueuePostgres

/// Where the job queue keeps its rows and its blobs (uploaded images, reports, overlays): the data
/// directory, the database (`--database` / `MEDINFER_DATABASE`) and the blob directory (`--blob-dir` /
/// `MEDINFER_BLOB_DIR`). `openQueue(_:configuration:)` turns it into a `JobQueue`.
public struct QueueLocation: Sendable, Equatable, CustomStringConvertible {
    /// The data directory: the embedded database (`queue.sqlite`) and, by default, the blobs.
    public var dataDirectory: URL
    public var database: QueueDatabase
    /// A blob directory other than `<data>/blobs` (a shared network filesystem when several hosts run
    /// against one PostgreSQL database); nil: `<data>/blobs`.
    public var blobDirectory: URL?

    public init(dataDirectory: URL, database: QueueDatabase = .embedded, blobDirectory: URL? = nil) {
        self.dataDirectory = dataDirectory
        self.database = database
        self.blobDirectory = blobDirectory
    }

    /// `<data>/blobs`, where blobs live when no `--blob-dir` is given.
    public var defaultBlobDirectory: URL { dataDirectory.appendingPathComponent("blobs", isDirectory: true) }

    /// The blob directory in effect.
    public var blobs: URL { blobDirectory ?? defaultBlobDirectory }

    /// For logs and messages: never the database password.
    public var description: String {
        switch database {
        case .embedded: "sqlite \(dataDirectory.appendingPathComponent("queue.sqlite").path), blobs \(blobs.path)"
        case .postgres(let url): "\(url.redacted), blobs \(blobs.path)"
        }
    }
}

/// The queue's database: SQLite embedded in the data directory (one host), or PostgreSQL shared by any
/// number of API and worker processes.
public enum QueueDatabase: Sendable, Equatable, CustomStringConvertible {
    case embedded
    case postgres(PostgresURL)

    /// `nil`, empty or `sqlite`: embedded; `postgres://…` or `postgresql://…`: PostgreSQL.
    /// - Throws: `QueueLocationError.invalidDatabase`, whose message never repeats a password.
    public init(parsing text: String?) throws(QueueLocationError) {
        let text = (text ?? "").trimmingCharacters(in: .whitespaces)
        if text.isEmpty || text.lowercased() == "sqlite" {
            self = .embedded
            return
        }
        do { self = .postgres(try PostgresURL(parsing: text)) } catch {
            throw .invalidDatabase("expected 'sqlite' or a PostgreSQL URL: \(error)")
        }
    }

    public var description: String {
        switch self {
        case .embedded: "sqlite"
        case .postgres(let url): url.redacted
        }
    }
}
