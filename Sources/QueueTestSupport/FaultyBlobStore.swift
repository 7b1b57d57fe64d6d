public import Foundation
public import JobQueue
import Synchronization

/// A blob store that fails on demand, as a full or broken disk would: the seam the queue's full-disk tests
/// use. It wraps a real `FileBlobStore`; while a fault is armed, the matching step throws the error the
/// file store throws for ENOSPC (`.storage` with "No space left on device") before touching the disk.
public final class FaultyBlobStore: BlobStoring {
    /// Where a write can fail: appending bytes (`write`), or making them durable (`commit`: fsync and the
    /// rename into place).
    public enum Fault: Sendable, Hashable {
        case write, commit
    }

    public let base: FileBlobStore
    private let armed = Mutex<Set<Fault>>([])

    public init(base: FileBlobStore) { self.base = base }

    /// Makes `fault` fail from now on (`disarm` stops it).
    public func arm(_ fault: Fault) { armed.withLock { _ = $0.insert(fault) } }
    public func disarm(_ fault: Fault) { armed.withLock { _ = $0.remove(fault) } }

    func check(_ fault: Fault, _ path: String) throws(JobQueueError) {
        if armed.withLock({ $0.contains(fault) }) { throw .storage(path: path, reason: "No space left on device (injected \(fault))") }
    }

    public var location: String { base.location }
    public func makeWriter() throws(JobQueueError) -> any BlobWriting { FaultyWriter(store: self, inner: try base.makeWriter()) }
    public func read(_ sha256: String) throws(JobQueueError) -> Data { try base.read(sha256) }
    public func location(of sha256: String) -> String { base.location(of: sha256) }
    public func holdForWriting() throws(JobQueueError) -> any BlobWriteHold { try base.holdForWriting() }
    public func sweep(referenced: () async throws(JobQueueError) -> Set<String>) async throws(JobQueueError) -> SweepSummary {
        try await base.sweep(referenced: referenced)
    }
}

/// A `FileBlobStore` writer whose steps fail while its store's fault is armed.
final class FaultyWriter: BlobWriting {
    let store: FaultyBlobStore
    let inner: any BlobWriting

    init(store: FaultyBlobStore, inner: any BlobWriting) {
        self.store = store
        self.inner = inner
    }

    var byteCount: Int64 { inner.byteCount }

    func write(_ data: Data) throws(JobQueueError) {
        try store.check(.write, store.location)
        try inner.write(data)
    }

    func commit() throws(JobQueueError) -> BlobRef {
        try store.check(.commit, store.location)
        return try inner.commit()
    }
}
