public import Foundation

/// Where the job queue keeps its rows and its blobs (uploaded images, reports, overlays): the data
/// directory, the database (`--database` / `MEDINFER_DATABASE`) and the blob directory (`--blob-dir` /
/// `MEDINFER_BLOB_DIR`). `openQueue(_:configuration:)` turns it into a `JobQueue`.
public struct QueueLocation: Sendable, Equatable, CustomStringConvertible {
    /// The data directory: the embedded database (`queue.sqlite`), `keys.sqlite` and, by default, the blobs.
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
        case .postgres(let url): "\(url), blobs \(blobs.path)"
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
        self = .postgres(try PostgresURL(parsing: text))
    }

    public var description: String {
        switch self {
        case .embedded: "sqlite"
        case .postgres(let url): url.description
        }
    }
}

/// A checked `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMS]` URL. `url` is what the driver gets;
/// `description` (for logs) shows the password as `***`.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// The URL as given, password included: pass it to the driver, never print it.
    public let url: String
    public let host: String
    /// 5432 unless the URL names one.
    public let port: Int
    public let user: String?
    /// The database name; nil: the server's default (the user's name).
    public let database: String?
    let hasPassword: Bool
    let query: [URLQueryItem]

    static let shape = "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"

    init(parsing text: String) throws(QueueLocationError) {
        // Messages below name the part that is wrong, never the text itself: it may hold a password.
        let scheme = text.split(separator: ":", maxSplits: 1).first.map { String($0).lowercased() } ?? ""
        guard text.contains("://"), scheme == "postgres" || scheme == "postgresql" else {
            let shown = scheme.count <= 20 && scheme.allSatisfy({ $0.isLetter }) && text.contains("://") ? " (scheme '\(scheme)')" : ""
            throw .invalidDatabase("expected 'sqlite' or \(Self.shape)\(shown)")
        }
        guard let parts = URLComponents(string: text) else {
            throw .invalidDatabase("not a valid URL; expected \(Self.shape) (percent-encode reserved characters in the password)")
        }
        guard let host = parts.host, !host.isEmpty else { throw .invalidDatabase("the URL names no host; expected \(Self.shape)") }
        let port = parts.port ?? 5432
        guard (1...65535).contains(port) else { throw .invalidDatabase("port \(port) is not 1...65535") }
        let path = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        guard !path.contains("/") else {
            throw .invalidDatabase("the path must be one database name, e.g. /medinfer")
        }
        url = text
        self.host = host
        self.port = port
        user = parts.user.flatMap { $0.isEmpty ? nil : $0 }
        database = path.isEmpty ? nil : path
        hasPassword = parts.password != nil || (parts.queryItems ?? []).contains { $0.name.lowercased() == "password" }
        query = parts.queryItems ?? []
    }

    public var description: String {
        var text = "postgres://"
        if let user { text += user + (hasPassword ? ":***" : "") + "@" }
        text += (host.contains(":") ? "[\(host)]" : host) + ":\(port)/" + (database ?? "")
        if !query.isEmpty {
            text += "?" + query.map { item in
                item.name.lowercased() == "password" ? "\(item.name)=***" : "\(item.name)=\(item.value ?? "")"
            }.joined(separator: "&")
        }
        return text
    }
}
