import Foundation

/// Where a `PostgresQueueStore` connects: `postgres://user:password@host:port/dbname?schema=NAME`
/// (`postgresql://` too). Only plain TCP (`sslmode=disable`, the default) is supported.
public struct PostgresURL: Sendable, Equatable {
    public var host: String
    /// 5432 when the URL names none.
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// The schema every connection puts first on its `search_path` (created by the store when missing);
    /// nil keeps the server's default path.
    public var schema: String?

    public init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String, schema: String? = nil) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.schema = schema
    }

    /// Parses a URL string. Errors never contain the password.
    public init(parsing string: String) throws(PostgresURLError) {
        guard let components = URLComponents(string: string), let scheme = components.scheme?.lowercased() else {
            throw .malformed
        }
        guard scheme == "postgres" || scheme == "postgresql" else { throw .unsupportedScheme(scheme) }
        guard let host = components.host, !host.isEmpty else { throw .missingHost }
        guard let user = components.user, !user.isEmpty else { throw .missingUser }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw .missingDatabase }
        let port = try Self.port(in: string)
        var schema: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "schema":
                guard let name = item.value, Self.isPlainIdentifier(name) else { throw .invalidSchema(item.value ?? "") }
                schema = name
            case "sslmode":
                guard item.value == "disable" else { throw .tlsUnsupported(item.value ?? "") }
            default:
                throw .unknownParameter(item.name)
            }
        }
        self.init(host: host, port: port ?? 5432, user: user, password: components.password,
                  database: database, schema: schema)
    }

    /// The URL without its password, for messages and logs.
    public var redacted: String {
        var text = "postgres://\(user)@\(host):\(port)/\(database)"
        if let schema { text += "?schema=\(schema)" }
        return text
    }

    /// A schema name that needs no quoting rules beyond double quotes: a letter or `_`, then letters, digits
    /// or `_`, at most 63 bytes (PostgreSQL's identifier limit).
    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 63 else { return false }
        let ascii = { (c: Unicode.Scalar) in c.isASCII && (c.properties.isAlphabetic || c == "_") }
        return ascii(first) && name.unicodeScalars.allSatisfy { ascii($0) || ("0"..."9").contains($0) }
    }

    /// The port after the host, checked here because Foundation drops one it cannot represent instead of failing.
    private static func port(in string: String) throws(PostgresURLError) -> Int? {
        guard let schemeEnd = string.range(of: "://")?.upperBound else { return nil }
        let authority = string[schemeEnd...].prefix { $0 != "/" && $0 != "?" }
        let hostAndPort = authority[(authority.lastIndex(of: "@").map { authority.index(after: $0) } ?? authority.startIndex)...]
        guard !hostAndPort.hasSuffix("]"), let colon = hostAndPort.lastIndex(of: ":") else { return nil }  // none, or [IPv6] alone
        let text = hostAndPort[hostAndPort.index(after: colon)...]
        guard let port = Int(text), (1...65535).contains(port) else { throw .invalidPort(String(text)) }
        return port
    }
}

/// Why a PostgreSQL URL was refused. No case carries the password.
public enum PostgresURLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not parsable as a URL; the text is not repeated, since it may hold a password.
    case malformed
    case unsupportedScheme(String)
    case missingHost
    case missingUser
    case missingDatabase
    case invalidPort(String)
    case invalidSchema(String)
    case tlsUnsupported(String)
    case unknownParameter(String)

    public var description: String {
        let form = "expected postgres://user:password@host:port/dbname?schema=NAME"
        return switch self {
        case .malformed: "not a PostgreSQL URL (\(form))"
        case .unsupportedScheme(let scheme): "unsupported URL scheme '\(scheme)' (\(form))"
        case .missingHost: "the PostgreSQL URL names no host (\(form))"
        case .missingUser: "the PostgreSQL URL names no user (\(form))"
        case .missingDatabase: "the PostgreSQL URL names no database (\(form))"
        case .invalidPort(let port): "PostgreSQL port '\(port)' is not a number in 1...65535"
        case .invalidSchema(let name):
            "schema '\(name)' must be a letter or '_' followed by letters, digits or '_' (at most 63)"
        case .tlsUnsupported(let mode): "sslmode=\(mode) is not supported: TLS is not implemented, only sslmode=disable"
        case .unknownParameter(let name): "unknown PostgreSQL URL parameter '\(name)' (supported: schema, sslmode=disable)"
        }
    }
}
