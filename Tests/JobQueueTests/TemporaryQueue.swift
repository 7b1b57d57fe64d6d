import Foundation
@testable import JobQueue
import QueueTestSupport

/// A queue on a fresh store of one kind (`TestQueueStores.kinds`), blobs in a temporary directory.
struct TemporaryQueue {
    let scratch: TestQueue
    var kind: QueueStoreKind { scratch.kind }
    var directory: URL { scratch.directory }
    var queue: JobQueue { scratch.queue }
    /// The queue's blob files.
    var blobs: FileBlobStore { scratch.blobs }

    init(_ kind: QueueStoreKind = .sqlite, _ configure: (inout JobQueue.Configuration) -> Void = { _ in }) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-queue-\(UUID().uuidString)")
        var configuration = JobQueue.Configuration()
        configure(&configuration)
        scratch = try TestQueueStores.makeQueue(kind: kind, directory: directory, configuration: configuration)
    }

    func remove() { scratch.remove() }

    static let model = ModelIdentity(name: "m", version: 1, sha256: String(repeating: "a", count: 64))
    static let worker = WorkerIdentity(id: "test-worker", host: "test-host", pid: 1)
    static let now = BatchPolicy(maxBatch: 8, maxDelay: .zero)

    /// A job of `count` distinct small images.
    @discardableResult
    func submit(_ count: Int = 1, priority: Int = 5, key: String? = nil, seed: String = UUID().uuidString) throws -> Submission {
        try queue.submit((0..<count).map { (name: "img\($0)", data: Data("\(seed)-\($0)".utf8)) }, model: Self.model,
                         priority: priority, idempotencyKey: key)
    }

    /// Claims with `policy` as `worker`, expecting a batch.
    func claim(_ policy: BatchPolicy? = now, as worker: WorkerIdentity = worker) throws -> [ClaimedImage] {
        try queue.heartbeat(worker)
        guard case .batch(let images) = try queue.claim(worker, policy: { _ in policy }) else { return [] }
        return images
    }

    /// Blob files and temporary files on disk.
    var files: (blobs: Set<String>, temporary: Int) {
        let (blobs, temporary) = blobs.inventory()
        return (Set(blobs.map(\.lastPathComponent)), temporary.count)
    }

    /// `SELECT COUNT(*) ...` in the queue's store.
    func count(_ sql: String, _ arguments: SQLArguments = []) throws -> Int {
        try queue.store.read { tx in try tx.scalar(sql, arguments, as: Int.self) } ?? -1
    }
}
