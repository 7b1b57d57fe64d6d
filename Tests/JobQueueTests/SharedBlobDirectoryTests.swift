import QueueTestSupport
import Foundation
@testable import JobQueue
import Testing

/// A blob folder of its own (`--blob-dir`), shared by several queues on one store: what one queue stores,
/// another reads, and a sweep by any of them removes only what no row names.
@Suite struct SharedBlobDirectoryTests {
    @Test func queuesOnOneStoreShareABlobFolderOutsideTheDataDirectory() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-blobdir-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("shared/blobs")
        let store = try SQLiteQueueStore(path: root.appendingPathComponent("queue.sqlite").path)
        let api = JobQueue(store: store, blobs: try FileBlobStore(root: folder))
        let worker = JobQueue(store: store, blobs: try FileBlobStore(root: folder))

        let bytes = Data("scan".utf8)
        let id = try await api.submit([(name: "a.png", data: bytes)], model: TemporaryQueue.model).job.id
        let images = try await worker.store.read { tx in try await tx.fetchAll("SELECT blob FROM images WHERE job_id = ?", [id]) }
        let sha: String = try #require(images.first)["blob"]
        #expect(try worker.blobs.read(sha) == bytes)
        #expect(worker.blobs.location(of: sha).hasPrefix(folder.path))

        // An orphan left by the worker's side is swept by the API's side; the job's image stays.
        let orphan = try worker.blobs.put(Data("orphan".utf8))
        await #expect(try api.sweep() == SweepSummary(blobs: 1, temporaryFiles: 0, skipped: false))
        #expect(throws: JobQueueError.self) { try worker.blobs.read(orphan.sha256) }
        #expect(try worker.blobs.read(sha) == bytes)
        // An upload in progress through one queue holds off the sweep of the other.
        let upload = try await api.beginUpload()
        await #expect(try worker.sweep().skipped)
        _ = upload
    }
}
