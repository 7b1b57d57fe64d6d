import Core
import Crypto
public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Content-addressed files under `<root>/<first two hex digits>/<sha256>`: `<data>/blobs` by default, or
/// a folder shared by every server and worker of a PostgreSQL deployment (`--blob-dir`, e.g. on a network
/// filesystem). A blob is written to `<root>/tmp/`, fsynced, renamed into place and its folder fsynced,
/// so once `commit()` returns it survives a crash or power loss; only then may a row point to it.
///
/// Writers and the orphan sweep coordinate through `flock` on `<root>/.lock` (writers shared, the sweep
/// exclusive), which holds across processes and machines only on a filesystem where `flock` works
/// between its clients (local disks; NFSv4 and most cluster filesystems; not every SMB or FUSE mount).
/// Where it does not, run the sweep (`prune`, a worker's start) only while nothing is being submitted.
public struct FileBlobStore: BlobStoring {
    /// The blob folder.
    public let root: URL
    var tmp: URL { root.appendingPathComponent("tmp", isDirectory: true) }
    var lockPath: String { root.appendingPathComponent(".lock").path }

    /// Opens the blob folder at `root`, creating it (and its `tmp/`) when needed.
    /// - Throws: `.storage` when a folder cannot be created.
    public init(root: URL) throws(JobQueueError) {
        self.root = root
        for dir in [root, root.appendingPathComponent("tmp", isDirectory: true)] {
            do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                throw .storage(path: dir.path, reason: "cannot create folder: \(error.localizedDescription)")
            }
        }
    }

    public var location: String { root.path }

    func url(for sha256: String) -> URL {
        root.appendingPathComponent(String(sha256.prefix(2)), isDirectory: true).appendingPathComponent(sha256)
    }

    public func location(of sha256: String) -> String { url(for: sha256).path }

    public func makeWriter() throws(JobQueueError) -> any BlobWriting { try FileBlobWriter(store: self) }

    public func read(_ sha256: String) throws(JobQueueError) -> Data {
        let url = url(for: sha256)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .storage(path: url.path, reason: "cannot read stored blob: \(error.localizedDescription)")
        }
        let actual = SHA256.hash(data: data).hexString
        guard actual == sha256 else {
            throw .storage(path: url.path, reason: "stored blob is damaged (its SHA-256 is now \(actual))")
        }
        return data
    }

    public func holdForWriting() throws(JobQueueError) -> any BlobWriteHold {
        let lock = try FileLock(path: lockPath)
        _ = lock.lock(exclusive: false)
        return lock
    }

    public func sweep(referenced: () async throws(JobQueueError) -> Set<String>) async throws(JobQueueError) -> SweepSummary {
        // The exclusive lock is taken without waiting (LOCK_NB), so this never blocks; it is held, by its
        // open file, across the database read below.
        let lock = try FileLock(path: lockPath)
        guard lock.lock(exclusive: true, wait: false) else { return SweepSummary(blobs: 0, temporaryFiles: 0, skipped: true) }
        defer { lock.unlock() }
        let names = try await referenced()
        return await Blocking.run { [self] in
            let (files, temporary) = inventory()
            var removed = 0
            for file in files where !names.contains(file.lastPathComponent) {
                if (try? FileManager.default.removeItem(at: file)) != nil { removed += 1 }
            }
            var removedTemporary = 0
            for file in temporary where (try? FileManager.default.removeItem(at: file)) != nil { removedTemporary += 1 }
            return SweepSummary(blobs: removed, temporaryFiles: removedTemporary, skipped: false)
        }
    }

    /// Every blob name on disk (whatever the folder), and every temporary file.
    public func inventory() -> (blobs: [URL], temporary: [URL]) {
        let fm = FileManager.default
        let temporary = (try? fm.contentsOfDirectory(at: tmp, includingPropertiesForKeys: nil)) ?? []
        var blobs: [URL] = []
        for shard in (try? fm.contentsOfDirectory(at: root, includingPropertiesForKeys: nil)) ?? []
        where shard.lastPathComponent != "tmp" && !shard.lastPathComponent.hasPrefix(".") {
            blobs += (try? fm.contentsOfDirectory(at: shard, includingPropertiesForKeys: nil)) ?? []
        }
        return (blobs, temporary)
    }
}

/// Streams one blob to a temporary file while hashing it; `commit()` makes it durable under its name.
/// Deinit without commit removes the temporary file.
final class FileBlobWriter: BlobWriting {
    let store: FileBlobStore
    let tmpPath: String
    private var fd: Int32
    private var hasher = SHA256()
    private(set) var byteCount: Int64 = 0

    init(store: FileBlobStore) throws(JobQueueError) {
        self.store = store
        tmpPath = store.tmp.appendingPathComponent(UUID().uuidString.lowercased() + ".tmp").path
        fd = open(tmpPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .storage(path: tmpPath, reason: "cannot create file: \(errnoDescription())") }
    }

    func write(_ data: Data) throws(JobQueueError) {
        var failure: Int32 = 0
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += n
            }
        }
        if failure != 0 {
            discard()
            throw .storage(path: tmpPath, reason: "cannot write: \(errnoDescription(failure))")
        }
        hasher.update(data: data)
        byteCount += Int64(data.count)
    }

    /// fsync, rename to `blobs/<xx>/<sha256>`, fsync the folder (and the root when the folder is new).
    func commit() throws(JobQueueError) -> BlobRef {
        guard fd >= 0 else { throw .storage(path: tmpPath, reason: "blob already committed or discarded") }
        if fsync(fd) != 0 {
            let code = errno
            discard()
            throw .storage(path: tmpPath, reason: "cannot sync to disk: \(errnoDescription(code))")
        }
        close(fd)
        fd = -1
        let sha = hasher.finalize().hexString
        let destination = store.url(for: sha)
        let shard = destination.deletingLastPathComponent()
        do {
            if mkdir(shard.path, 0o755) == 0 {
                try syncDirectory(store.root.path)
            } else if errno != EEXIST {
                throw JobQueueError.storage(path: shard.path, reason: "cannot create folder: \(errnoDescription())")
            }
            guard rename(tmpPath, destination.path) == 0 else {
                throw JobQueueError.storage(path: destination.path, reason: "cannot rename into place: \(errnoDescription())")
            }
            try syncDirectory(shard.path)
        } catch let error as JobQueueError {
            unlink(tmpPath)
            throw error
        } catch {
            unlink(tmpPath)
            throw .storage(path: destination.path, reason: "\(error)")
        }
        return BlobRef(sha256: sha, byteCount: byteCount)
    }

    func discard() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(tmpPath)
    }

    deinit { discard() }
}

/// A rename is durable only once its folder is synced.
func syncDirectory(_ path: String) throws(JobQueueError) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw .storage(path: path, reason: "cannot open folder to sync: \(errnoDescription())") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw .storage(path: path, reason: "cannot sync folder: \(errnoDescription())") }
}

extension Sequence<UInt8> {
    /// Lowercase hex.
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}
