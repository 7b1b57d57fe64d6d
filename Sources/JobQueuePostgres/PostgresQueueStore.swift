public import JobQueue
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// The queue's rows in a PostgreSQL database shared by many API servers and workers
/// (`--database postgres://…`). Write transactions are SERIALIZABLE and rerun on serialization failures
/// and deadlocks; claims use `FOR UPDATE SKIP LOCKED`; `notifyWork` is a `NOTIFY` that wakes idle workers
/// in every process. Transactions run on connections leased from postgres-nio's `PostgresClient` (its
/// pool runs as long as the store is open); every statement is awaited, never waited for.
public final class PostgresQueueStore: QueueStore {
    /// Where it connects (with the password; see `location` for messages).
    public let url: PostgresURL
    public var dialect: SQLDialect { .postgres }
    public var location: String { url.redacted }

    let group: MultiThreadedEventLoopGroup
    let client: PostgresClient
    /// `client.run()`: the pool serves leases while it runs, and closes every connection when cancelled.
    private let running: Task<Void, Never>
    let listener: PostgresWorkListener
    let logger: Logger
    /// Other modules' migrations, applied after the queue's own.
    let extraMigrations: [QueueMigration]

    /// Parses `url` (`postgres://user:password@host:port/dbname?schema=NAME`) and opens the store.
    public convenience init(url: String, poolSize: Int = 4, migrations: [QueueMigration] = []) async throws(JobQueueError) {
        let parsed: PostgresURL
        do { parsed = try PostgresURL(parsing: url) } catch { throw .invalidArgument(error.description) }
        try await self.init(url: parsed, poolSize: poolSize, migrations: migrations)
    }

    /// Connects, creates the schema when missing, applies pending migrations and starts listening for work.
    /// At most `poolSize` transactions run at once; more callers wait for a connection. `migrations`
    /// (other modules' tables) apply after the queue's own.
    public init(url: PostgresURL, poolSize: Int = 4, migrations: [QueueMigration] = []) async throws(JobQueueError) {
        self.url = url
        extraMigrations = migrations
        var logger = Logger(label: "medinfer.postgres")
        logger.logLevel = .warning
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let connector = PostgresConnector(group: group, url: url, logger: logger)
        client = PostgresClient(configuration: connector.clientConfiguration(poolSize: poolSize), eventLoopGroup: group,
                                backgroundLogger: logger)
        running = Task { [client] in await client.run() }
        listener = PostgresWorkListener(connector: connector, payload: url.schema ?? "")
        do {
            // The listener's connection first: it is a plain connect, so a server that is not there is
            // reported at once (the pool would retry with backoff for a minute before failing a lease).
            try await listener.start().get()
            try await migrate()
        } catch {
            await close()
            throw PostgresErrors.jobQueueError(error, location: url.redacted)
        }
    }

    deinit {
        _ = listener.stop()
        running.cancel()
        group.shutdownGracefully { _ in }
    }

    /// Closes every connection; later calls fail with `JobQueueError.database`.
    public func close() async {
        if let stopping = listener.stop() { try? await stopping.get() }
        running.cancel()
        await running.value
    }

    public func notifyWork() async {
        listener.wakeAll()
        // Best effort: if it fails, idle workers elsewhere find the work when their wait times out.
        _ = try? await transaction(begin: "BEGIN") { db in
            try await db.execute("SELECT pg_notify(?, ?)", [PostgresWorkListener.channel, self.listener.payload])
        }
    }

    @discardableResult
    public func waitForWork(timeout: Duration) async -> WorkSignal.WakeReason {
        await listener.signal.wait(timeout: timeout)
    }
}
