public import Core

/// How a worker batches one model version: a batch is claimed when `maxBatch` images wait, or when the
/// oldest has waited `maxDelay`.
public struct BatchPolicy: Sendable, Equatable {
    public var maxBatch: Int
    public var maxDelay: Duration

    public init(maxBatch: Int, maxDelay: Duration) {
        self.maxBatch = max(1, maxBatch)
        self.maxDelay = maxDelay
    }
}

/// A worker as leases name it. `host` and `pid` let a worker that starts on the same machine take back at
/// once the images of one that died, instead of waiting for its leases to expire.
public struct WorkerIdentity: Sendable, Hashable {
    public var id: String
    public var host: String
    public var pid: Int32

    public init(id: String, host: String, pid: Int32) {
        self.id = id
        self.host = host
        self.pid = pid
    }
}

/// One item (an image, or the several inputs of a `QueueItem`) a worker holds a lease on.
public struct ClaimedImage: Sendable, Hashable {
    public var jobID: String
    public var index: Int
    /// The file name given at submission (of the first input).
    public var name: String?
    /// SHA-256 of the (first) input's bytes (`JobQueue.blobs.read`).
    public var blob: String
    /// SHA-256 of every input, in order: `[blob]` for an item of one part.
    public var blobs: [String]
    public var model: ModelRef
    /// When the job was submitted (ms since 1970), for end-to-end latency.
    public var submittedAt: Int64 = 0

    public init(jobID: String, index: Int, name: String?, blob: String, model: ModelRef, submittedAt: Int64 = 0,
                moreParts: [String] = []) {
        self.jobID = jobID
        self.index = index
        self.name = name
        self.blob = blob
        self.blobs = [blob] + moreParts
        self.model = model
        self.submittedAt = submittedAt
    }
}

public enum ClaimOutcome: Sendable, Equatable {
    case batch([ClaimedImage])
    /// Images wait but none is due yet: the earliest due time (ms since 1970).
    case wait(until: Int64)
    /// Nothing is queued that this worker can serve.
    case idle
}

/// A file stored for one image, recorded in `artifacts` in the transaction that marks the image done. The
/// queue keeps it as opaque bytes: what the names mean is the worker's business.
public struct Artifact: Sendable {
    public var name: String
    public var blob: BlobRef
    public var mediaType: String

    public init(name: String, blob: BlobRef, mediaType: String) {
        self.name = name
        self.blob = blob
        self.mediaType = mediaType
    }
}

public enum ImageOutcome: Sendable {
    case succeeded([Artifact])
    /// `permanent`: undecodable image, model refuses the input: fail now. Otherwise retry with backoff.
    case failed(String, permanent: Bool)
}

extension JobQueue {
    /// Takes the next due batch: the highest-priority group of ready images of one model version, claimed
    /// when it is full or its oldest image has waited the policy's delay. A nil policy means this worker
    /// cannot serve that version (not in its repository): those images stay queued for a worker that can,
    /// never failed for a worker's configuration. Expired leases go back to the queue first.
    public func claim(_ worker: WorkerIdentity, policy: @escaping @Sendable (ModelRef) -> BatchPolicy?) async throws(JobQueueError) -> ClaimOutcome {
        try await write { tx in
            let now = self.now()
            try await self.requeue(tx, where: "status = 'running' AND lease_expires < ?", [now], now: now)
            let groups = try await tx.fetchAll("""
                SELECT j.model_name AS model_name, j.model_version AS model_version, j.model_sha256 AS model_sha256,
                       SUM(CASE WHEN i.ready_at <= ? THEN 1 ELSE 0 END) AS ready,
                       MIN(CASE WHEN i.ready_at <= ? THEN i.ready_at END) AS oldest_ready,
                       MIN(i.ready_at) AS next_ready,
                       MAX(CASE WHEN i.ready_at <= ? THEN j.priority END) AS top_priority,
                       MIN(j.seq) AS first_seq
                FROM images i JOIN jobs j ON j.id = i.job_id
                WHERE i.status = 'queued'
                GROUP BY j.model_name, j.model_version, j.model_sha256
                ORDER BY top_priority DESC NULLS LAST, first_seq
                """, [now, now, now])
            var wake: Int64?
            for g in groups {
                let model = ModelRef(name: g["model_name"], version: g["model_version"], sha256: g["model_sha256"])
                guard let p = policy(model) else { continue }
                let next: Int64 = g["next_ready"]
                guard let oldest = g["oldest_ready"] as Int64? else {
                    // Only retries waiting out their backoff.
                    wake = min(wake ?? next, next)
                    continue
                }
                let due = oldest + Timestamp.milliseconds(p.maxDelay)
                if (g["ready"] as Int) >= p.maxBatch || due <= now {
                    return .batch(try await self.take(tx, model, limit: p.maxBatch, worker: worker, now: now))
                }
                wake = min(wake ?? due, due)
            }
            return wake.map { .wait(until: $0) } ?? .idle
        }
    }

    private func take(_ tx: any SQLTransaction, _ model: ModelRef, limit: Int, worker: WorkerIdentity,
                      now: Int64) async throws -> [ClaimedImage] {
        let rows = try await tx.fetchAll("""
            SELECT i.job_id AS job_id, i.idx AS idx, i.name AS name, i.blob AS blob, j.created_at AS created_at
            FROM images i JOIN jobs j ON j.id = i.job_id
            WHERE i.status = 'queued' AND i.ready_at <= ? AND j.model_name = ? AND j.model_version = ? AND j.model_sha256 = ?
            ORDER BY j.priority DESC, j.seq, i.idx LIMIT ?
            """ + tx.forUpdateSkipLocked(of: "i"), [now, model.name, model.version, model.sha256, limit])
        // The lease names the worker's row: make sure it exists (a peer may have taken it for dead).
        try await upsert(tx, worker, now: now)
        let expires = now + Timestamp.milliseconds(configuration.leaseDuration)
        // The further inputs of items of several parts, in order (one query for the whole batch).
        var moreParts: [String: [String]] = [:]
        let jobs = Array(Set(rows.map { $0["job_id"] as String }))
        if !jobs.isEmpty {
            let marks = Array(repeating: "?", count: jobs.count).joined(separator: ", ")
            for p in try await tx.fetchAll("SELECT job_id, idx, blob FROM image_parts WHERE job_id IN (\(marks)) ORDER BY job_id, idx, part",
                                           SQLArguments(jobs.map { .text($0) })) {
                moreParts["\(p["job_id"] as String)/\(p["idx"] as Int)", default: []].append(p["blob"])
            }
        }
        var claimed: [ClaimedImage] = []
        for r in rows {
            let image = ClaimedImage(jobID: r["job_id"], index: r["idx"], name: r["name"], blob: r["blob"], model: model,
                                     submittedAt: r["created_at"], moreParts: moreParts["\(r["job_id"] as String)/\(r["idx"] as Int)"] ?? [])
            try await tx.execute("""
                UPDATE images SET status = 'running', lease_owner = ?, lease_expires = ?, attempts = attempts + 1, error = NULL
                WHERE job_id = ? AND idx = ? AND status = 'queued'
                """, [worker.id, expires, image.jobID, image.index])
            claimed.append(image)
        }
        try await refreshJobs(tx, Set(claimed.map(\.jobID)), now: now)
        return claimed
    }

    /// Records what became of claimed images, in one transaction. An image whose lease this worker no
    /// longer holds (it expired and another worker took it) is left alone: the other worker's result
    /// counts, so an image is never done twice. Returns, per outcome, whether it was applied.
    @discardableResult
    public func complete(_ worker: WorkerIdentity, _ outcomes: [(ClaimedImage, ImageOutcome)]) async throws(JobQueueError) -> [Bool] {
        try await record(worker, outcomes).applied
    }

    /// What `record` did: per outcome whether it was applied, and the jobs this transaction brought to a
    /// final state (exactly one transaction does, so exactly one worker learns it finished a job).
    public struct Recorded: Sendable {
        public var applied: [Bool]
        public var finishedJobs: [String]
    }

    /// `complete`, also naming the jobs it finished. `jobArtifacts`: artifacts of whole jobs (a job's DICOM
    /// SR), their blobs already durable, each stored with its job in this transaction if, and only if, this
    /// transaction finishes that job with at least one succeeded image (with its `job.artifact` audit row);
    /// otherwise they are left for the sweep. A job finished elsewhere meanwhile keeps what it has.
    public func record(_ worker: WorkerIdentity, _ outcomes: [(ClaimedImage, ImageOutcome)],
                       jobArtifacts: [String: [Artifact]] = [:]) async throws(JobQueueError) -> Recorded {
        try await write { tx in
            let now = self.now()
            var applied: [Bool] = []
            for (image, outcome) in outcomes {
                guard let row = try await tx.fetchOne("""
                    SELECT i.attempts AS attempts, j.max_attempts AS max_attempts FROM images i JOIN jobs j ON j.id = i.job_id
                    WHERE i.job_id = ? AND i.idx = ? AND i.status = 'running' AND i.lease_owner = ?
                    """, [image.jobID, image.index, worker.id]) else {
                    applied.append(false)
                    continue
                }
                applied.append(true)
                let key: SQLArguments = [image.jobID, image.index]
                switch outcome {
                case .succeeded(let artifacts):
                    try await tx.execute("""
                        UPDATE images SET status = 'succeeded', lease_owner = NULL, lease_expires = NULL, error = NULL,
                                          finished_at = ? WHERE job_id = ? AND idx = ?
                        """, [now] + key)
                    for a in artifacts {
                        try await tx.execute("""
                            INSERT INTO artifacts (job_id, idx, name, blob, media_type, created_at) VALUES (?, ?, ?, ?, ?, ?)
                            """, key + [a.name, a.blob.sha256, a.mediaType, now])
                    }
                case let .failed(reason, permanent):
                    let attempts: Int = row["attempts"], maxAttempts: Int = row["max_attempts"]
                    if permanent || attempts >= maxAttempts {
                        let message = permanent ? reason : "gave up after \(attempts) attempts: \(reason)"
                        try await tx.execute("""
                            UPDATE images SET status = 'failed', lease_owner = NULL, lease_expires = NULL, error = ?,
                                              finished_at = ? WHERE job_id = ? AND idx = ?
                            """, [message, now] + key)
                    } else {
                        try await tx.execute("""
                            UPDATE images SET status = 'queued', lease_owner = NULL, lease_expires = NULL, error = ?,
                                              ready_at = ? WHERE job_id = ? AND idx = ?
                            """, [reason, now + self.backoff(afterAttempt: attempts)] + key)
                    }
                }
            }
            let finished = try await self.refreshJobs(tx, Set(outcomes.map(\.0.jobID)), now: now)
            for job in finished {
                guard let artifacts = jobArtifacts[job], !artifacts.isEmpty,
                      try await tx.scalar("SELECT COUNT(*) AS n FROM images WHERE job_id = ? AND status = 'succeeded'", [job], as: Int.self) ?? 0 > 0
                else { continue }
                for artifact in artifacts where try await tx.fetchOne("SELECT 1 AS found FROM job_artifacts WHERE job_id = ? AND name = ?",
                                                                      [job, artifact.name]) == nil {
                    try await Self.insertJobArtifact(tx, job: job, artifact, now: now)
                }
            }
            return Recorded(applied: applied, finishedJobs: finished)
        }
    }

    /// `backoffBase * 2^(attempt-1)`, capped at `backoffMax` (ms).
    func backoff(afterAttempt attempt: Int) -> Int64 {
        let base = Timestamp.milliseconds(configuration.backoffBase)
        let cap = Timestamp.milliseconds(configuration.backoffMax)
        let shift = min(max(attempt - 1, 0), 30)
        return min(base << Int64(shift), cap)
    }

    /// Recomputes each job's state from its images: any running -> running; all final -> succeeded, or
    /// failed when any image failed; some final -> running; else queued. Cancelled jobs stay cancelled.
    /// Returns the jobs that reached a final state in this call.
    @discardableResult
    func refreshJobs(_ tx: any SQLTransaction, _ ids: Set<String>, now: Int64) async throws -> [String] {
        var finishedNow: [String] = []
        for id in ids.sorted() {
            guard let current = try await tx.scalar("SELECT status FROM jobs WHERE id = ?", [id], as: String.self),
                  current != JobState.cancelled.rawValue else { continue }
            var n: [String: Int] = [:]
            for r in try await tx.fetchAll("SELECT status, COUNT(*) AS n FROM images WHERE job_id = ? GROUP BY status", [id]) {
                n[r["status"]] = r["n"]
            }
            let total = n.values.reduce(0, +)
            let succeeded = n["succeeded"] ?? 0, failed = n["failed"] ?? 0, cancelled = n["cancelled"] ?? 0
            let state: JobState
            if (n["running"] ?? 0) > 0 { state = .running }
            else if succeeded + failed + cancelled == total { state = failed > 0 ? .failed : .succeeded }
            else if succeeded + failed > 0 { state = .running }
            else { state = .queued }
            var error: String?
            if state == .failed {
                let failures = try await tx.fetchAll("SELECT idx, error FROM images WHERE job_id = ? AND status = 'failed' ORDER BY idx", [id])
                error = "\(failures.count) of \(total) image\(total == 1 ? "" : "s") failed: "
                    + failures.prefix(3).map { "image \($0["idx"] as Int): \($0["error"] as String? ?? "unknown")" }.joined(separator: "; ")
            }
            // A job starts at its first claim: COALESCE keeps that time.
            let startedAt: Int64? = state == .queued ? nil : now
            try await tx.execute("""
                UPDATE jobs SET status = ?, error = ?, started_at = COALESCE(started_at, ?),
                  finished_at = CASE WHEN ? = 1 THEN COALESCE(finished_at, ?) ELSE NULL END
                WHERE id = ?
                """, [state.rawValue, error, startedAt, state.isTerminal, now, id])
            if state.isTerminal && state.rawValue != current {
                try await finished(tx, job: id, state: state, now: now)
                finishedNow.append(id)
            }
        }
        return finishedNow
    }
}
