import Core
public import JobQueue
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// The queue's rows in a PostgreSQL database shared by many API servers and workers
/// (`--database postgres://…`). Write transactions are SERIALIZABLE and rerun on serialization failures
/// and deadlocks; claims use `FOR UPDATE SKIP LOCKED`; `notifyWork` is a `NOTIFY` that wakes idle workers
/// in every process. A transaction's statements wait for their answers on a pooled connection, so each
/// runs on the blocking executor (`Blocking`), never on the caller's executor or an event loop. Opening
/// (connect, migrate, LISTEN) and `close()` still wait on the caller's thread: call them at start and stop,
/// not from a request.
public final class PostgresQueueStore: QueueStore {
    /// Where it connects (with the password; see `location` for messages).
    public let url: PostgresURL
    public var dialect: SQLDialect { .postgres }
    public var location: String { url.redacted }

    let group: MultiThreadedEventLoopGroup
    let pool: PostgresConnectionPool
    let listener: PostgresWorkListener
    let logger: Logger
    /// Other modules' migrations, applied after the queue's own.
    let extraMigrations: [QueueMigration]

    /// Parses `url` (`postgres://user:password@host:port/dbname?schema=NAME`) and opens the store.
    public convenience init(url: String, poolSize: Int = 4, migrations: [QueueMigration] = []) throws(JobQueueError) {
        let parsed: PostgresURL
        do { parsed = try PostgresURL(parsing: url) } catch { throw .invalidArgument(error.description) }
        try self.init(url: parsed, poolSize: poolSize, migrations: migrations)
    }

    /// Connects, creates the schema when missing, applies pending migrations and starts listening for work.
    /// At most `poolSize` transactions run at once; more callers wait for a connection. `migrations`
    /// (other modules' tables) apply after the queue's own.
    public init(url: PostgresURL, poolSize: Int = 4, migrations: [QueueMigration] = []) throws(JobQueueError) {
        self.url = url
        extraMigrations = migrations
        var logger = Logger(label: "medinfer.postgres")
        logger.logLevel = .warning
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let connector = PostgresConnector(group: group, url: url, logger: logger)
        pool = PostgresConnectionPool(connector: connector, maximum: poolSize)
        listener = PostgresWorkListener(connector: connector, payload: url.schema ?? "")
        do {
            try migrate()
            try listener.start().wait()
        } catch {
            close()
            throw PostgresErrors.jobQueueError(error, location: url.redacted)
        }
    }

    deinit {
        _ = listener.stop()
        _ = pool.close()
        group.shutdownGracefully { _ in }
    }

    /// Closes every connection and stops the event loop; later calls fail with `JobQueueError.database`.
    public func close() {
        let closing = pool.close() + [listener.stop()].compactMap { $0 }
        for future in closing { try? future.wait() }
    }

    public func notifyWork() async {
        listener.wakeAll()
        // Best effort: if it fails, idle workers elsewhere find the work when their wait times out.
        _ = try? await Blocking.run { () throws(JobQueueError) in
            try self.pool.withConnection { connection, _ throws(JobQueueError) in
                _ = try PostgresTransaction(connection: connection, location: self.location, logger: self.logger)
                    .run("SELECT pg_notify(?, ?)", [PostgresWorkListener.channel, self.listener.payload])
            }
        }
    }

    @discardableResult
    public func waitForWork(timeout: Duration) async -> WorkSignal.WakeReason {
        await listener.signal.wait(timeout: timeout)
    }
}
