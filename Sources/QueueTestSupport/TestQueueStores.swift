public import Foundation
public import JobQueue
import JobQueuePostgres

/// A store the queue's tests run on.
public enum QueueStoreKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// SQLite in memory (`SQLiteQueueStore(inMemory:)`): the twin the layers above are tested on.
    case memory
    case sqlite, postgres
    public var description: String { rawValue }
}

/// Queues for tests, one fresh store each, on every store available here: SQLite in memory and on disk
/// always (the same store suite passes on all three, so the in-memory twin is a faithful stand-in); PostgreSQL too
/// when `MEDINFER_TEST_POSTGRES_URL` names a database where the tests may create (and drop) schemas.
/// Parameterise a test with `@Test(arguments: TestQueueStores.kinds)` and build its queue with
/// `makeQueue(kind:)`, so the same assertions hold on both stores.
public enum TestQueueStores {
    /// `[.sqlite]`, plus `.postgres` when `MEDINFER_TEST_POSTGRES_URL` is set (`PostgresQueueStore.testURL`).
    public static var kinds: [QueueStoreKind] { PostgresQueueStore.testURL == nil ? [.memory, .sqlite] : [.memory, .sqlite, .postgres] }

    /// A queue on a fresh store of `kind`, with its blobs in `<directory>/blobs` (SQLite: the database at
    /// `<directory>/queue.sqlite`, through `JobQueue(directory:configuration:)` as the server opens it;
    /// PostgreSQL: a new schema of its own). `remove()` deletes both.
    /// `migrations`: other modules' tables (the server passes its own), as `openQueue` registers them.
    public static func makeQueue(kind: QueueStoreKind, directory: URL, configuration: JobQueue.Configuration = .init(),
                                 migrations: [QueueMigration] = []) async throws -> TestQueue {
        switch kind {
        case .memory:
            let store = try SQLiteQueueStore(inMemory: migrations)
            let blobs = try FileBlobStore(root: directory.appendingPathComponent("blobs", isDirectory: true))
            return TestQueue(kind: kind, directory: directory, queue: JobQueue(store: store, blobs: blobs, configuration: configuration),
                             blobs: blobs, dropStore: {})
        case .sqlite:
            let queue = try JobQueue(directory: directory, configuration: configuration, migrations: migrations)
            guard let blobs = queue.blobs as? FileBlobStore else { throw TestStoreError.unexpectedBlobStore }
            return TestQueue(kind: kind, directory: directory, queue: queue, blobs: blobs, dropStore: {})
        case .postgres:
            guard let url = PostgresQueueStore.testURL else { throw TestStoreError.noPostgresURL }
            let store = try await PostgresQueueStore.inFreshSchema(url: url, migrations: migrations)
            let blobs = try FileBlobStore(root: directory.appendingPathComponent("blobs", isDirectory: true))
            return TestQueue(kind: kind, directory: directory, queue: JobQueue(store: store, blobs: blobs, configuration: configuration),
                             blobs: blobs, dropStore: { Task { try? await store.dropSchemaAndClose() } })
        }
    }
}

/// A queue made for one test.
public struct TestQueue: Sendable {
    public let kind: QueueStoreKind
    /// Holds the blobs (and, on SQLite, the database).
    public let directory: URL
    public let queue: JobQueue
    /// The queue's blob store, for tests that look at the files.
    public let blobs: FileBlobStore
    let dropStore: @Sendable () -> Void

    /// Deletes the store and the directory. PostgreSQL drops the schema in a task of its own (so `remove`
    /// can run in a `defer`); the test cluster is discarded whole at the end of the run anyway.
    public func remove() {
        dropStore()
        try? FileManager.default.removeItem(at: directory)
    }
}

public enum TestStoreError: Error, CustomStringConvertible {
    case noPostgresURL
    case unexpectedBlobStore

    public var description: String {
        switch self {
        case .noPostgresURL: "set \(PostgresQueueStore.testURLVariable) to test on PostgreSQL"
        case .unexpectedBlobStore: "the queue's blob store is not a FileBlobStore"
        }
    }
}
