import GRDB

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
struct WorkerIdentity: Sendable, Hashable {
    var id: String
    var host: String
    var pid: Int32
}

/// One image a worker holds a lease on.
struct ClaimedImage: Sendable, Hashable {
    var jobID: String
    var index: Int
    var name: String?
    var blob: String
    var model: ModelIdentity
    /// When the job was submitted (ms since 1970), for end-to-end latency.
    var submittedAt: Int64 = 0
}

enum ClaimOutcome: Sendable, Equatable {
    case batch([ClaimedImage])
    /// Images wait but none is due yet: the earliest due time (ms since 1970).
    case wait(until: Int64)
    /// Nothing is queued that this worker can serve.
    case idle
}

/// A file stored for one image, recorded in `artifacts` in the transaction that marks the image done.
struct Artifact: Sendable {
    static let reportName = "report.json"
    /// The heatmap or mask overlay, served at `/v1/jobs/{id}/images/{index}/overlay.png`.
    static let overlayName = "overlay.png"
    var name: String
    var blob: BlobRef
    var mediaType: String
}

enum ImageOutcome: Sendable {
    case succeeded([Artifact])
    /// `permanent`: undecodable image, model refuses the input: fail now. Otherwise retry with backoff.
    case failed(String, permanent: Bool)
}

extension JobQueue {
    /// Takes the next due batch: the highest-priority group of ready images of one model version, claimed
    /// when it is full or its oldest image has waited the policy's delay. A nil policy means this worker
    /// cannot serve that version (not in its repository): those images stay queued for a worker that can,
    /// never failed for a worker's configuration. Expired leases go back to the queue first.
    func claim(_ worker: WorkerIdentity, policy: (ModelIdentity) -> BatchPolicy?) throws(JobQueueError) -> ClaimOutcome {
        try write { db in
            let now = Timestamp.now()
            try self.requeue(db, where: "status = 'running' AND lease_expires < ?", [now], now: now)
            let groups = try Row.fetchAll(db, sql: """
                SELECT j.model_name, j.model_version, j.model_sha256,
                       SUM(i.ready_at <= :now) AS ready, MIN(CASE WHEN i.ready_at <= :now THEN i.ready_at END) AS oldest,
                       MIN(i.ready_at) AS next, MAX(CASE WHEN i.ready_at <= :now THEN j.priority END) AS top, MIN(j.seq) AS first
                FROM images i JOIN jobs j ON j.id = i.job_id
                WHERE i.status = 'queued'
                GROUP BY j.model_name, j.model_version, j.model_sha256
                ORDER BY top DESC NULLS LAST, first
                """, arguments: ["now": now])
            var wake: Int64?
            for g in groups {
                let model = ModelIdentity(name: g["model_name"], version: g["model_version"], sha256: g["model_sha256"])
                guard let p = policy(model) else { continue }
                guard let oldest = g["oldest"] as Int64? else {
                    // Only retries waiting out their backoff.
                    wake = min(wake ?? g["next"], g["next"])
                    continue
                }
                let due = oldest + Timestamp.milliseconds(p.maxDelay)
                if (g["ready"] as Int) >= p.maxBatch || due <= now {
                    return .batch(try self.take(db, model, limit: p.maxBatch, worker: worker, now: now))
                }
                wake = min(wake ?? due, due)
            }
            return wake.map { .wait(until: $0) } ?? .idle
        }
    }

    private func take(_ db: Database, _ model: ModelIdentity, limit: Int, worker: WorkerIdentity, now: Int64) throws -> [ClaimedImage] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT i.job_id, i.idx, i.name, i.blob, j.created_at FROM images i JOIN jobs j ON j.id = i.job_id
            WHERE i.status = 'queued' AND i.ready_at <= ? AND j.model_name = ? AND j.model_version = ? AND j.model_sha256 = ?
            ORDER BY j.priority DESC, j.seq, i.idx LIMIT ?
            """, arguments: [now, model.name, model.version, model.sha256, limit])
        // The lease names the worker's row: make sure it exists (a peer may have taken it for dead).
        try upsert(db, worker, now: now)
        let expires = now + Timestamp.milliseconds(configuration.leaseDuration)
        var claimed: [ClaimedImage] = []
        for r in rows {
            let image = ClaimedImage(jobID: r["job_id"], index: r["idx"], name: r["name"], blob: r["blob"], model: model,
                                     submittedAt: r["created_at"])
            try db.execute(sql: """
                UPDATE images SET status = 'running', lease_owner = ?, lease_expires = ?, attempts = attempts + 1, error = NULL
                WHERE job_id = ? AND idx = ? AND status = 'queued'
                """, arguments: [worker.id, expires, image.jobID, image.index])
            claimed.append(image)
        }
        try refreshJobs(db, Set(claimed.map(\.jobID)), now: now)
        return claimed
    }

    /// Records what became of claimed images, in one transaction. An image whose lease this worker no
    /// longer holds (it expired and another worker took it) is left alone: the other worker's result
    /// counts, so an image is never done twice. Returns, per outcome, whether it was applied.
    @discardableResult
    func complete(_ worker: WorkerIdentity, _ outcomes: [(ClaimedImage, ImageOutcome)]) throws(JobQueueError) -> [Bool] {
        try write { db in
            let now = Timestamp.now()
            var applied: [Bool] = []
            for (image, outcome) in outcomes {
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT i.attempts, j.max_attempts FROM images i JOIN jobs j ON j.id = i.job_id
                    WHERE i.job_id = ? AND i.idx = ? AND i.status = 'running' AND i.lease_owner = ?
                    """, arguments: [image.jobID, image.index, worker.id]) else {
                    applied.append(false)
                    continue
                }
                applied.append(true)
                let key: StatementArguments = [image.jobID, image.index]
                switch outcome {
                case .succeeded(let artifacts):
                    try db.execute(sql: """
                        UPDATE images SET status = 'succeeded', lease_owner = NULL, lease_expires = NULL, error = NULL,
                                          finished_at = ? WHERE job_id = ? AND idx = ?
                        """, arguments: [now] + key)
                    for a in artifacts {
                        try db.execute(sql: """
                            INSERT INTO artifacts (job_id, idx, name, blob, media_type, created_at) VALUES (?, ?, ?, ?, ?, ?)
                            """, arguments: key + [a.name, a.blob.sha256, a.mediaType, now])
                    }
                case let .failed(reason, permanent):
                    let attempts: Int = row["attempts"], maxAttempts: Int = row["max_attempts"]
                    if permanent || attempts >= maxAttempts {
                        let message = permanent ? reason : "gave up after \(attempts) attempts: \(reason)"
                        try db.execute(sql: """
                            UPDATE images SET status = 'failed', lease_owner = NULL, lease_expires = NULL, error = ?,
                                              finished_at = ? WHERE job_id = ? AND idx = ?
                            """, arguments: [message, now] + key)
                    } else {
                        try db.execute(sql: """
                            UPDATE images SET status = 'queued', lease_owner = NULL, lease_expires = NULL, error = ?,
                                              ready_at = ? WHERE job_id = ? AND idx = ?
                            """, arguments: [reason, now + backoff(afterAttempt: attempts)] + key)
                    }
                }
            }
            try refreshJobs(db, Set(outcomes.map(\.0.jobID)), now: now)
            return applied
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
    func refreshJobs(_ db: Database, _ ids: Set<String>, now: Int64) throws {
        for id in ids {
            guard let current = try String.fetchOne(db, sql: "SELECT status FROM jobs WHERE id = ?", arguments: [id]),
                  current != JobState.cancelled.rawValue else { continue }
            var n: [String: Int] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM images WHERE job_id = ? GROUP BY status",
                                      arguments: [id]) {
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
                let failures = try Row.fetchAll(db, sql: "SELECT idx, error FROM images WHERE job_id = ? AND status = 'failed' ORDER BY idx",
                                                arguments: [id])
                error = "\(failures.count) of \(total) image\(total == 1 ? "" : "s") failed: "
                    + failures.prefix(3).map { "image \($0["idx"] as Int): \($0["error"] as String? ?? "unknown")" }.joined(separator: "; ")
            }
            try db.execute(sql: """
                UPDATE jobs SET status = ?, error = ?,
                  started_at = CASE WHEN started_at IS NULL AND ? != 'queued' THEN ? ELSE started_at END,
                  finished_at = CASE WHEN ? THEN COALESCE(finished_at, ?) ELSE NULL END
                WHERE id = ?
                """, arguments: [state.rawValue, error, state.rawValue, now, state.isTerminal, now, id])
            if state.isTerminal && state.rawValue != current { try Self.auditOutcome(db, job: id, state: state, now: now) }
        }
    }
}
