import Foundation
import GRDB

/// What `prune` removed.
public struct PruneSummary: Sendable, Equatable {
    public var jobs: Int
    /// Files removed by the sweep that followed (nil when another process held the blob lock; the next
    /// sweep removes them).
    public var files: Int?
}

/// What a sweep removed; `skipped` when the blob lock was busy (an upload or result write in progress).
public struct SweepSummary: Sendable, Equatable {
    public var blobs: Int
    public var temporaryFiles: Int
    public var skipped: Bool
}

extension JobQueue {
    /// Cancels a queued job: none of its images will run.
    @discardableResult
    public func cancel(_ id: String) throws(JobQueueError) -> JobStatus {
        try write { db in
            guard let raw = try String.fetchOne(db, sql: "SELECT status FROM jobs WHERE id = ?", arguments: [id]) else {
                throw JobQueueError.notFound(id: id)
            }
            let state = JobState(rawValue: raw) ?? .failed
            guard state == .queued else { throw JobQueueError.notCancellable(id: id, status: state) }
            let now = Timestamp.now()
            try db.execute(sql: "UPDATE images SET status = 'cancelled', finished_at = ? WHERE job_id = ? AND status = 'queued'",
                           arguments: [now, id])
            try db.execute(sql: "UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE id = ?", arguments: [now, id])
            try Self.auditOutcome(db, job: id, state: .cancelled, now: now)
        }
        return try status(id)
    }

    /// Deletes finished jobs (succeeded, failed, cancelled) that finished more than `age` ago, with their
    /// images and results, then sweeps the files no row references any more.
    public func prune(olderThan age: Duration) throws(JobQueueError) -> PruneSummary {
        let cutoff = Timestamp.now() - Timestamp.milliseconds(age)
        let jobs = try write { db in
            try db.execute(sql: """
                DELETE FROM jobs WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at < ?
                """, arguments: [cutoff])
            return db.changesCount
        }
        let sweep = try sweep()
        return PruneSummary(jobs: jobs, files: sweep.skipped ? nil : sweep.blobs + sweep.temporaryFiles)
    }

    /// Removes every blob no image or artifact row points to, and every temporary file: what a crash
    /// between writing a file and committing its row leaves behind. Runs only when no upload or result
    /// write holds the blob lock, in any process, so it never races a commit.
    @discardableResult
    public func sweep() throws(JobQueueError) -> SweepSummary {
        let lock = try FileLock(path: blobs.lockPath)
        guard lock.lock(exclusive: true, wait: false) else { return SweepSummary(blobs: 0, temporaryFiles: 0, skipped: true) }
        defer { lock.unlock() }
        let referenced = try read { db in
            Set(try String.fetchAll(db, sql: "SELECT blob FROM images UNION SELECT blob FROM artifacts"))
        }
        let (files, temporary) = blobs.inventory()
        var removed = 0
        for file in files where !referenced.contains(file.lastPathComponent) {
            if (try? FileManager.default.removeItem(at: file)) != nil { removed += 1 }
        }
        var removedTemporary = 0
        for file in temporary where (try? FileManager.default.removeItem(at: file)) != nil { removedTemporary += 1 }
        return SweepSummary(blobs: removed, temporaryFiles: removedTemporary, skipped: false)
    }

    /// Holds the blob lock shared while `body` writes blobs and commits the rows that reference them.
    func withBlobLock<T>(_ body: () throws(JobQueueError) -> T) throws(JobQueueError) -> T {
        let lock = try FileLock(path: blobs.lockPath)
        _ = lock.lock(exclusive: false)
        defer { lock.unlock() }
        return try body()
    }
}
