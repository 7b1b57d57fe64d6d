import Foundation
import JobQueue
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// How the store reaches its database: the pool's configuration and the listener's own connections, on
/// the store's event loop group, with `search_path` set to the URL's schema as a startup parameter (no
/// extra round trip, and a reconnected connection gets it too).
struct PostgresConnector: Sendable {
    let group: MultiThreadedEventLoopGroup
    let url: PostgresURL
    let logger: Logger

    var configuration: PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(host: url.host, port: url.port, username: url.user,
                                                             password: url.password, database: url.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }

    /// The transactions' pool: at most `poolSize` connections, opened on demand.
    func clientConfiguration(poolSize: Int) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(host: url.host, port: url.port, username: url.user,
                                                         password: url.password, database: url.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.maximumConnections = max(1, poolSize)
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }

    /// Named in pg_stat_activity, so an operator (or a test) can tell the queue's connections apart; the
    /// schema first on the search path.
    private var startupParameters: [(String, String)] {
        var parameters = [("application_name", applicationName)]
        if let schema = url.schema { parameters.append(("search_path", "\"\(schema)\"")) }
        return parameters
    }

    /// `medinfer` and the schema, as `application_name`.
    var applicationName: String { ["medinfer", url.schema].compactMap { $0 }.joined(separator: " ") }

    func connect(id: Int) -> EventLoopFuture<PostgresConnection> {
        PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger)
    }
}

/// PostgreSQL failures as `JobQueueError.database`: the server's message and SQLSTATE, or why the
/// connection failed, and the URL without its password.
enum PostgresErrors {
    static let serializationFailure = "40001"
    static let deadlockDetected = "40P01"

    static func sqlState(_ error: any Error) -> String? { (error as? PSQLError)?.serverInfo?[.sqlState] }

    /// Errors a rerun of the whole transaction can cure.
    static func isRetryable(sqlState: String?) -> Bool { sqlState == serializationFailure || sqlState == deadlockDetected }

    static func jobQueueError(_ error: any Error, location: String) -> JobQueueError {
        if let error = error as? JobQueueError { return error }
        guard let error = error as? PSQLError else { return .database("PostgreSQL \(location): \(error)") }
        if let info = error.serverInfo {
            var message = info[.message] ?? "server error"
            if let detail = info[.detail] { message += " (\(detail))" }
            return .database("PostgreSQL \(location): \(message) [SQLSTATE \(info[.sqlState] ?? "?")]")
        }
        let underlying = error.underlying.map { ": \($0)" } ?? ""
        return .database("PostgreSQL \(location): \(error.code)\(underlying)")
    }
}

extension PostgresConnection {
    /// `close()`, keeping the connection alive until its channel is closed: postgres-nio asserts that a
    /// connection is closed when it is deinitialised, and a pool drops its reference right after asking.
    func closeAndRelease() -> EventLoopFuture<Void> {
        let closing: EventLoopFuture<Void> = close()
        return closing.always { _ in withExtendedLifetime(self) {} }
    }
}
