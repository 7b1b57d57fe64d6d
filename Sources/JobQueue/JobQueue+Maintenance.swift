import Foundation

/// What `prune` removed.
public struct PruneSummary: Sendable, Equatable {
    public var jobs: Int
    /// Files removed by the sweep that followed (nil when another process held the blob lock; the next
    /// sweep removes them).
    public var files: Int?
}

extension JobQueue {
    /// Cancels a queued job: none of its images will run.
    @discardableResult
    public func cancel(_ id: String) throws(JobQueueError) -> JobStatus {
        try write { tx in
            guard let raw = try tx.scalar("SELECT status FROM jobs WHERE id = ?", [id], as: String.self) else {
                throw JobQueueError.notFound(id: id)
            }
            let state = JobState(rawValue: raw) ?? .failed
            guard state == .queued else { throw JobQueueError.notCancellable(id: id, status: state) }
            let now = Timestamp.now()
            try tx.execute("UPDATE images SET status = 'cancelled', finished_at = ? WHERE job_id = ? AND status = 'queued'", [now, id])
            try tx.execute("UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE id = ?", [now, id])
            try self.finished(tx, job: id, state: .cancelled, now: now)
        }
        return try status(id)
    }

    /// Deletes finished jobs (succeeded, failed, cancelled) that finished more than `age` ago, with their
    /// images and results, then sweeps the files no row references any more.
    public func prune(olderThan age: Duration) throws(JobQueueError) -> PruneSummary {
        let cutoff = Timestamp.now() - Timestamp.milliseconds(age)
        let jobs = try write { tx in
            try tx.execute("DELETE FROM jobs WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at < ?", [cutoff])
        }
        let sweep = try sweep()
        return PruneSummary(jobs: jobs, files: sweep.skipped ? nil : sweep.blobs + sweep.temporaryFiles)
    }

    /// Removes every blob no image or artifact row points to, and every temporary file: what a crash
    /// between writing a file and committing its row leaves behind. Runs only when no upload or result
    /// write holds the blob store (`BlobStoring.holdForWriting`), in any process, so it never races a commit.
    @discardableResult
    public func sweep() throws(JobQueueError) -> SweepSummary {
        try blobs.sweep { () throws(JobQueueError) in
            try read { tx in
                Set(try tx.fetchAll("SELECT blob FROM images UNION SELECT blob FROM artifacts").map { $0["blob"] as String })
            }
        }
    }

    /// Holds the blob store for writing while `body` writes blobs and commits the rows that reference them.
    public func withBlobHold<T>(_ body: () throws(JobQueueError) -> T) throws(JobQueueError) -> T {
        let hold = try blobs.holdForWriting()
        defer { withExtendedLifetime(hold) {} }
        return try body()
    }
}
