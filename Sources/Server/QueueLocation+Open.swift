import Core
public import JobQueue
import JobQueuePostgres
import Foundation

/// Opens (creating and migrating when needed) the job queue at `location`: the one place that picks the
/// queue's store, for `medinfer serve` and every command that opens the queue itself.
/// - Throws: `.queue` when the database or the blob directory cannot be opened.
///
/// SQLite opens and migrates its file on the blocking executor; PostgreSQL connects and migrates with
/// awaited statements.
public func openQueue(_ location: QueueLocation,
                      configuration: JobQueue.Configuration = .init()) async throws(QueueLocationError) -> JobQueue {
    let migrations = serverMigrations
    do throws(JobQueueError) {
        if location.database == .embedded, location.blobDirectory == nil {
            return try await Blocking.run { () throws(JobQueueError) in
                try JobQueue(directory: location.dataDirectory, configuration: configuration, migrations: migrations)
            }
        }
        let blobs = try FileBlobStore(root: location.blobs)
        let store: any QueueStore = switch location.database {
        case .embedded:
            try await Blocking.run { () throws(JobQueueError) in
                try SQLiteQueueStore(path: location.dataDirectory.appendingPathComponent("queue.sqlite").path,
                                     busyTimeout: configuration.busyTimeout, migrations: migrations)
            }
        case .postgres(let url):
            try await PostgresQueueStore(url: url, migrations: migrations)
        }
        return JobQueue(store: store, blobs: blobs, configuration: configuration)
    } catch {
        throw .queue(error)
    }
}

/// The tables the server adds to the queue's database, in the order they apply after the queue's own.
public let serverMigrations: [QueueMigration] = [APIKeyStore.migration]
