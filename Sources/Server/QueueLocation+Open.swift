public import JobQueue
import Foundation

/// Opens (creating and migrating when needed) the job queue at `location`: the one place that picks the
/// queue's store, for `medinfer serve` and every command that opens the queue itself.
/// - Throws: `.unsupported` for a location this build cannot open, `.queue` when opening fails.
public func openQueue(_ location: QueueLocation,
                      configuration: JobQueue.Configuration = .init()) throws(QueueLocationError) -> JobQueue {
    switch location.database {
    case .embedded:
        if let blobs = location.blobDirectory,
           blobs.standardizedFileURL.path != location.defaultBlobDirectory.standardizedFileURL.path {
            throw .unsupported("""
                --blob-dir \(blobs.path): a blob directory outside the data directory is not built yet \
                (the queue keeps its blobs in \(location.defaultBlobDirectory.path))
                """)
        }
        do { return try JobQueue(directory: location.dataDirectory, configuration: configuration) } catch { throw .queue(error) }
    case .postgres(let url):
        throw .unsupported("""
            PostgreSQL (\(url)) is not built yet in this medinfer; use the embedded database \
            (no --database, or --database sqlite)
            """)
    }
}
