import Core
public import Foundation

/// One unit of work of a job: one input (an image) or several in order (the slices of a series), run
/// together by one worker. Its index in the job is its position in `submit(items:)`.
public struct QueueItem: Sendable {
    /// The item's inputs, in order; the first names the item.
    public var parts: [ImageUpload]

    public init(_ parts: [ImageUpload]) {
        self.parts = parts
    }
}

/// One input on its way into the queue: its bytes stream to a temporary file (never wholly in memory,
/// whatever their size) and become a durable blob when `JobQueue.submit` takes it. Until then it holds
/// the blob store's write hold, so no orphan sweep removes its blob before the job row commits.
/// Dropping it without submitting removes the temporary file. One owner writes it, one call at a time
/// (each write runs on the blocking executor while the owner awaits it), which is why it may cross to
/// that executor although its writer is not thread-safe.
public final class ImageUpload: @unchecked Sendable {
    /// The file name given by the client, kept for reports and listings.
    public let name: String?
    let hold: any BlobWriteHold
    let writer: any BlobWriting
    var blob: BlobRef?

    init(name: String?, store: any BlobStoring) throws(JobQueueError) {
        self.name = name
        hold = try store.holdForWriting()
        writer = try store.makeWriter()
    }

    /// Appends bytes (on the blocking executor).
    public func write(_ data: Data) async throws(JobQueueError) {
        try await Blocking.run { () throws(JobQueueError) in try self.append(data) }
    }

    /// Appends a whole file, read in 1 MiB chunks (on the blocking executor).
    public func write(contentsOf url: URL) async throws(JobQueueError) {
        try await Blocking.run { () throws(JobQueueError) in try self.append(contentsOf: url) }
    }

    func append(_ data: Data) throws(JobQueueError) {
        guard blob == nil else { throw .invalidArgument("the upload of \(name ?? "an image") was already submitted") }
        try writer.write(data)
    }

    func append(contentsOf url: URL) throws(JobQueueError) {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw .storage(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw .storage(path: url.path, reason: "cannot read: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            try append(chunk)
        }
    }

    /// Bytes written so far.
    public var byteCount: Int64 { writer.byteCount }

    /// Makes the bytes durable (once).
    func commit() throws(JobQueueError) -> BlobRef {
        if let blob { return blob }
        let ref = try writer.commit()
        blob = ref
        return ref
    }
}
