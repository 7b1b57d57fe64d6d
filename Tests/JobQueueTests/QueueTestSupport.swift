import Foundation
@testable import JobQueue

/// A queue in a fresh temporary data directory.
struct TemporaryQueue {
    let directory: URL
    let queue: JobQueue

    init(_ configure: (inout JobQueue.Configuration) -> Void = { _ in }) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-queue-\(UUID().uuidString)")
        var configuration = JobQueue.Configuration()
        configure(&configuration)
        queue = try JobQueue(directory: directory, configuration: configuration)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

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
        let (blobs, temporary) = queue.blobs.inventory()
        return (Set(blobs.map(\.lastPathComponent)), temporary.count)
    }
}
