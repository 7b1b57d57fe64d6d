#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory `flock` on one open file description. Writers of blobs hold it shared from the first byte
/// until their row commits; the orphan sweep holds it exclusive, so it never deletes a blob whose row is
/// about to commit, in this process or another. The kernel drops it when the process dies.
final class FileLock: BlobWriteHold {
    private let fd: Int32

    init(path: String) throws(JobQueueError) {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .storage(path: path, reason: "cannot open lock file: \(errnoDescription())") }
    }

    /// Shared or exclusive; `wait: false` returns false instead of blocking when another holder conflicts.
    func lock(exclusive: Bool, wait: Bool = true) -> Bool {
        var op = exclusive ? LOCK_EX : LOCK_SH
        if !wait { op |= LOCK_NB }
        while flock(fd, op) != 0 {
            if errno != EINTR { return false }
        }
        return true
    }

    func unlock() { _ = flock(fd, LOCK_UN) }

    deinit { close(fd) }
}

/// `strerror(errno)`, read at once so that no other call can change `errno` first.
func errnoDescription(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
