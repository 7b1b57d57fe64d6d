public import Core
public import Foundation
public import JobQueue

/// A queue on a fresh store of one kind (`TestQueueStores.kinds`), blobs in a temporary directory.
public struct TemporaryQueue: Sendable {
    public let scratch: TestQueue
    public var kind: QueueStoreKind { scratch.kind }
    public var directory: URL { scratch.directory }
    public var queue: JobQueue { scratch.queue }
    /// The queue's blob files.
    public var blobs: FileBlobStore { scratch.blobs }

    /// `clock`: the queue reads time from it instead of the wall clock (tests of leases and backoff).
    public init(_ kind: QueueStoreKind = .sqlite, clock: TestClock? = nil,
                _ configure: (inout JobQueue.Configuration) -> Void = { _ in }) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-queue-\(UUID().uuidString)")
        var configuration = JobQueue.Configuration()
        if let clock { configuration.clock = { clock.now() } }
        configure(&configuration)
        scratch = try await TestQueueStores.makeQueue(kind: kind, directory: directory, configuration: configuration)
    }

    public func remove() { scratch.remove() }

    public static let model = ModelRef(name: "m", version: 1, sha256: String(repeating: "a", count: 64))
    public static let worker = WorkerIdentity(id: "test-worker", host: "test-host", pid: 1)
    public static let now = BatchPolicy(maxBatch: 8, maxDelay: .zero)

    /// A job of `count` distinct small images.
    @discardableResult
    public func submit(_ count: Int = 1, priority: Int = 5, key: String? = nil, seed: String = UUID().uuidString) async throws -> Submission {
        try await queue.submit((0..<count).map { (name: "img\($0)", data: Data("\(seed)-\($0)".utf8)) }, model: Self.model,
                         priority: priority, idempotencyKey: key)
    }

    /// Claims with `policy` as `worker`, expecting a batch.
    public func claim(_ policy: BatchPolicy? = now, as worker: WorkerIdentity = worker) async throws -> [ClaimedImage] {
        try await queue.heartbeat(worker)
        guard case .batch(let images) = try await queue.claim(worker, policy: { _ in policy }) else { return [] }
        return images
    }

    /// Blob files and temporary files on disk.
    public var files: (blobs: Set<String>, temporary: Int) {
        let (blobs, temporary) = blobs.inventory()
        return (Set(blobs.map(\.lastPathComponent)), temporary.count)
    }

    /// `SELECT COUNT(*) ...` in the queue's store.
    public func count(_ sql: String, _ arguments: SQLArguments = []) async throws -> Int {
        try await queue.store.read { tx in try await tx.scalar(sql, arguments, as: Int.self) } ?? -1
    }

    /// Submits a one-image job and runs it to `succeeded` as a worker would, storing `artifact` as the
    /// image's `report.json`.
    @discardableResult
    public func succeededJob(artifact: Data, priority: Int = 5) async throws -> String {
        let id = try await submit(priority: priority).job.id
        let images = try await claim().filter { $0.jobID == id }
        let outcomes = try images.map { image -> (ClaimedImage, ImageOutcome) in
            let blob = try queue.blobs.put(artifact)
            return (image, .succeeded([Artifact(name: "report.json", blob: blob, mediaType: "application/json")]))
        }
        try await queue.complete(Self.worker, outcomes)
        return id
    }
}
