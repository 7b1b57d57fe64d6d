public import Foundation

/// A stored file: input image bytes, a report, an overlay. Named by content, so a blob is never
/// rewritten and two jobs with the same image share it.
public struct BlobRef: Sendable, Hashable {
    /// Lowercase hex SHA-256 of the content.
    public var sha256: String
    public var byteCount: Int64

    public init(sha256: String, byteCount: Int64) {
        self.sha256 = sha256
        self.byteCount = byteCount
    }
}

/// Where a `JobQueue` keeps image bytes and results: content-addressed blobs, written durably before the
/// row that names them commits (write, then commit), and swept when no row names them any more.
///
/// `FileBlobStore` (a local or network folder) is the one implementation; an S3-compatible store can
/// follow. Every queue sharing a database must share its blob store.
public protocol BlobStoring: Sendable {
    /// For messages: the folder, or the bucket's URL.
    var location: String { get }

    /// Starts a blob: stream its bytes to the writer, then `commit()` it.
    func makeWriter() throws(JobQueueError) -> any BlobWriting

    /// The blob's bytes, checked against its name: a changed blob is reported (`.storage`), never analysed.
    func read(_ sha256: String) throws(JobQueueError) -> Data

    /// For messages: where the blob is (its path or URL).
    func location(of sha256: String) -> String

    /// Keeps `sweep` from removing blobs while the caller writes some and commits the rows that name them,
    /// in this process or another: hold the returned value from before the first byte until after the
    /// commit; dropping it ends the hold.
    func holdForWriting() throws(JobQueueError) -> any BlobWriteHold

    /// Removes every blob whose name `referenced()` does not return, and every unfinished write: what a
    /// crash between writing a blob and committing its row leaves behind. `referenced` reads the
    /// database; it is called once no write is held, so no blob written for a commit in progress is
    /// removed. Returns `skipped` instead of waiting when writes are held. File removals run on the
    /// blocking executor.
    func sweep(referenced: () async throws(JobQueueError) -> Set<String>) async throws(JobQueueError) -> SweepSummary
}

/// One blob being written: bytes streamed in, hashed as they come. Not thread-safe: one owner writes it.
/// Dropped without `commit()`, it leaves nothing behind (a crash leaves what `sweep` removes).
public protocol BlobWriting: AnyObject {
    /// Bytes written so far.
    var byteCount: Int64 { get }
    func write(_ data: Data) throws(JobQueueError)
    /// Makes the blob durable under its SHA-256; once this returns, a row may name it.
    func commit() throws(JobQueueError) -> BlobRef
}

/// A hold from `BlobStoring.holdForWriting()`, released when dropped.
public protocol BlobWriteHold: AnyObject, Sendable {}

/// What a sweep removed; `skipped` when writes were held (an upload or result write in progress).
public struct SweepSummary: Sendable, Equatable {
    public var blobs: Int
    public var temporaryFiles: Int
    public var skipped: Bool

    public init(blobs: Int, temporaryFiles: Int, skipped: Bool) {
        self.blobs = blobs
        self.temporaryFiles = temporaryFiles
        self.skipped = skipped
    }
}

extension BlobStoring {
    /// Stores `data` durably.
    public func put(_ data: Data) throws(JobQueueError) -> BlobRef {
        let writer = try makeWriter()
        try writer.write(data)
        return try writer.commit()
    }
}
