public import Foundation

/// The durable job queue: jobs and their images as rows in a `QueueStore` (the embedded SQLite file, or a
/// PostgreSQL database shared by many servers and workers), their bytes and results as content-addressed
/// blobs in a `BlobStoring` (a folder).
///
/// Any number of `JobQueue` values, in one process or several, may share a store and its blobs: every
/// state change is one serializable transaction and every claim is fenced by a lease. Its methods are
/// `async`: a transaction runs on the store's own threads (GRDB's queues for SQLite, the blocking
/// executor for PostgreSQL) and blob file I/O on the blocking executor (`Blocking`), so callers never block
/// Swift's cooperative pool or an event loop.
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
        /// How long a statement waits for another process's write lock before failing (SQLite; used by
        /// `init(directory:configuration:)`).
        public var busyTimeout: Duration = .seconds(10)
        /// Now, in milliseconds since 1970: leases, backoff, ready times and timestamps all read it, so tests
        /// advance a clock of their own instead of sleeping.
        public var clock: @Sendable () -> Int64 = { Timestamp.now() }
        /// Run inside the transaction that brings a job to a final state (succeeded, failed or cancelled),
        /// after its audit row: modules above the queue record their own rows with the outcome (an export
        /// outbox), so both commit or neither does. A hook that throws rolls the change back.
        public var jobFinished: [@Sendable (any SQLTransaction, _ job: String, _ state: JobState) async throws -> Void] = []

        public init() {}
    }

    public let configuration: Configuration
    /// The rows: jobs, images, workers, results, reviews, the audit trail.
    public let store: any QueueStore
    /// The bytes: input images, reports, overlays.
    public let blobs: any BlobStoring

    /// A queue on `store` and `blobs`, which every queue sharing `store` must share too. The store is
    /// migrated when it is opened.
    public init(store: any QueueStore, blobs: any BlobStoring, configuration: Configuration = .init()) {
        self.store = store
        self.blobs = blobs
        self.configuration = configuration
    }

    /// Opens (creating when needed) the queue of one data directory: SQLite (WAL) at
    /// `<directory>/queue.sqlite`, blobs under `<directory>/blobs/`.
    /// - Throws: `.storage` when the directory is a file or cannot be created, or the database cannot be
    ///   opened or migrated.
    /// `migrations`: other modules' tables (`QueueMigration`), applied after the queue's own.
    public convenience init(directory: URL, configuration: Configuration = .init(),
                            migrations: [QueueMigration] = []) throws(JobQueueError) {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), !isDir.boolValue {
            throw .storage(path: directory.path, reason: "the data directory is a file, not a folder")
        }
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw .storage(path: directory.path, reason: "cannot create the data directory: \(error.localizedDescription)")
        }
        let blobs = try FileBlobStore(root: directory.appendingPathComponent("blobs", isDirectory: true))
        let store = try SQLiteQueueStore(path: directory.appendingPathComponent("queue.sqlite").path,
                                         busyTimeout: configuration.busyTimeout, migrations: migrations)
        self.init(store: store, blobs: blobs, configuration: configuration)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) async throws -> T) async throws(JobQueueError) -> T {
        try await store.write(body)
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) async throws -> T) async throws(JobQueueError) -> T {
        try await store.read(body)
    }

    /// Now, in milliseconds since 1970, from `Configuration.clock`.
    func now() -> Int64 { configuration.clock() }
}
