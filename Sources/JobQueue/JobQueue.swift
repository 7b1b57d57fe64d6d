public import Foundation
import GRDB

/// The durable job queue of one data directory: jobs and their images in SQLite (WAL) at
/// `<data>/queue.sqlite`, their bytes and results as content-addressed blobs under `<data>/blobs/`.
///
/// Any number of `JobQueue` values, in one process or several, may share a data directory: every
/// state change is one `IMMEDIATE` transaction and every claim is fenced by a lease. All methods are
/// synchronous and short (one transaction; `submit` also fsyncs its blobs), and safe from any thread;
/// a server calls them off its event loops.
public final class JobQueue: Sendable {
    /// Limits and retry policy; the defaults suit a single on-premises server.
    public struct Configuration: Sendable {
        /// Submissions that would bring the number of waiting images above this fail with `.queueFull`.
        public var maxQueuedImages = 10_000
        /// Attempts per image before a transient failure becomes final.
        public var maxAttempts = 3
        /// Times an image may be lost with a dead worker before it fails (a scan that crashes the worker
        /// every time must not take the queue down with it).
        public var maxInterruptions = 20
        /// Wait before attempt n+1: `backoffBase * 2^(n-1)`, at most `backoffMax`.
        public var backoffBase: Duration = .seconds(1)
        public var backoffMax: Duration = .seconds(300)
        /// How long a claim holds without a heartbeat; workers renew it every third of it.
        public var leaseDuration: Duration = .seconds(30)
        /// How long a statement waits for another process's write lock before failing.
        public var busyTimeout: Duration = .seconds(10)

        public init() {}
    }

    /// The data directory.
    public let directory: URL
    public let configuration: Configuration
    let database: DatabasePool
    let blobs: BlobStore

    /// Opens (creating when needed) the queue in `directory` and migrates its schema.
    public init(directory: URL, configuration: Configuration = .init()) throws(JobQueueError) {
        self.directory = directory
        self.configuration = configuration
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), !isDir.boolValue {
            throw .storage(path: directory.path, reason: "the data directory is a file, not a folder")
        }
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw .storage(path: directory.path, reason: "cannot create the data directory: \(error.localizedDescription)")
        }
        blobs = try BlobStore(root: directory.appendingPathComponent("blobs", isDirectory: true))
        var config = GRDB.Configuration()
        config.busyMode = .timeout(Double(Timestamp.milliseconds(configuration.busyTimeout)) / 1000)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            // FULL: a commit that returned is on disk, as "accepted" promises (WAL's default NORMAL may
            // lose the last commits on power loss).
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let path = directory.appendingPathComponent("queue.sqlite").path
        do {
            database = try DatabasePool(path: path, configuration: config)
            try Self.migrator.migrate(database)
        } catch {
            throw .storage(path: path, reason: "cannot open the job database: \(error)")
        }
    }

    /// Runs `body` in one `IMMEDIATE` transaction (the write lock is taken at `BEGIN`, so two processes
    /// never both read a row as claimable), mapping SQLite errors to `.database`.
    func write<T>(_ body: (Database) throws -> T) throws(JobQueueError) -> T {
        do {
            return try database.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch let error as JobQueueError {
            throw error
        } catch {
            throw .database("\(error)")
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(JobQueueError) -> T {
        do {
            return try database.read(body)
        } catch let error as JobQueueError {
            throw error
        } catch {
            throw .database("\(error)")
        }
    }
}
