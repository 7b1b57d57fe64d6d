import Core
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
    public func cancel(_ id: String) async throws(JobQueueError) -> JobStatus {
        try await write { tx in
            guard let raw = try await tx.scalar("SELECT status FROM jobs WHERE id = ?", [id], as: String.self) else {
                throw JobQueueError.notFound(id: id)
            }
            let state = JobState(rawValue: raw) ?? .failed
            guard state == .queued else { throw JobQueueError.notCancellable(id: id, status: state) }
            let now = self.now()
            try await tx.execute("UPDATE images SET status = 'cancelled', finished_at = ? WHERE job_id = ? AND status = 'queued'", [now, id])
            try await tx.execute("UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE id = ?", [now, id])
            try await self.finished(tx, job: id, state: .cancelled, now: now)
        }
        return try await status(id)
    }

    /// Deletes finished jobs (succeeded, failed, cancelled) that finished more than `age` ago, with their
    /// images and results, then sweeps the files no row references any more.
    public func prune(olderThan age: Duration) async throws(JobQueueError) -> PruneSummary {
        let cutoff = self.now() - Timestamp.milliseconds(age)
        let jobs = try await write { tx in
            try await tx.execute("DELETE FROM jobs WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at < ?", [cutoff])
        }
        let sweep = try await sweep()
        return PruneSummary(jobs: jobs, files: sweep.skipped ? nil : sweep.blobs + sweep.temporaryFiles)
    }

    /// Removes every blob no image or artifact row points to, and every temporary file: what a crash
    /// between writing a file and committing its row leaves behind. Runs only when no upload or result
    /// write holds the blob store (`BlobStoring.holdForWriting`), in any process, so it never races a commit.
    @discardableResult
    public func sweep() async throws(JobQueueError) -> SweepSummary {
        try await blobs.sweep { () async throws(JobQueueError) in
            try await self.read { tx in
                Set(try await tx.fetchAll("""
                    SELECT blob FROM images UNION SELECT blob FROM image_parts UNION SELECT blob FROM artifacts
                    UNION SELECT blob FROM job_artifacts
                    """)
                        .map { $0["blob"] as String })
            }
        }
    }

    /// Holds the blob store for writing while `body` writes blobs and commits the rows that reference them.
    /// Taking the hold waits (on the blocking executor) while a sweep runs.
    public func withBlobHold<T>(_ body: () async throws(JobQueueError) -> T) async throws(JobQueueError) -> T {
        let hold = try await Blocking.run { [blobs] () throws(JobQueueError) in try blobs.holdForWriting() }
        defer { withExtendedLifetime(hold) {} }
        return try await body()
    }
}
