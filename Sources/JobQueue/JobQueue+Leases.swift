extension JobQueue {
    /// Registers the worker (or renews its heartbeat) and extends every lease it holds.
    public func heartbeat(_ worker: WorkerIdentity) async throws(JobQueueError) {
        try await write { tx in
            let now = self.now()
            try await self.upsert(tx, worker, now: now)
            try await tx.execute("UPDATE images SET lease_expires = ? WHERE lease_owner = ? AND status = 'running'",
                           [now + Timestamp.milliseconds(self.configuration.leaseDuration), worker.id])
        }
    }

    func upsert(_ tx: any SQLTransaction, _ worker: WorkerIdentity, now: Int64) async throws {
        try await tx.execute("""
            INSERT INTO workers (id, host, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
            """, [worker.id, worker.host, worker.pid, now, now])
    }

    /// Gives back claims a worker will not process (it is stopping): they are queued again at once and
    /// the attempt is not counted.
    public func release(_ worker: WorkerIdentity, _ images: [ClaimedImage]) async throws(JobQueueError) {
        try await write { tx in
            let now = self.now()
            for image in images {
                try await tx.execute("""
                    UPDATE images SET status = 'queued', lease_owner = NULL, lease_expires = NULL,
                                      attempts = \(Self.attemptGivenBack), ready_at = ?
                    WHERE job_id = ? AND idx = ? AND lease_owner = ? AND status = 'running'
                    """, [now, image.jobID, image.index, worker.id])
            }
            try await self.refreshJobs(tx, Set(images.map(\.jobID)), now: now)
        }
        await store.notifyWork()
    }

    /// Removes the worker's row at a clean exit, giving back anything it still holds.
    public func unregister(_ worker: WorkerIdentity) async throws(JobQueueError) {
        try await write { tx in
            let now = self.now()
            try await self.requeue(tx, where: "lease_owner = ?", [worker.id], now: now, interrupted: false)
            try await tx.execute("DELETE FROM workers WHERE id = ?", [worker.id])
        }
    }

    /// At start-up: the images of workers that are gone go back to the queue now. Gone means a process of
    /// this host that no longer exists (`isAlive(pid)` false), or any worker silent for a whole lease.
    /// Returns how many images were taken back.
    @discardableResult
    public func reclaimAbandoned(host: String, isAlive: @escaping @Sendable (Int32) -> Bool) async throws(JobQueueError) -> Int {
        try await write { tx in
            let now = self.now()
            let stale = now - Timestamp.milliseconds(self.configuration.leaseDuration)
            var reclaimed = 0
            for r in try await tx.fetchAll("SELECT id, host, pid, heartbeat_at FROM workers") {
                let gone = ((r["host"] as String) == host && !isAlive(r["pid"])) || (r["heartbeat_at"] as Int64) < stale
                guard gone else { continue }
                let id: String = r["id"]
                reclaimed += try await self.requeue(tx, where: "lease_owner = ?", [id], now: now)
                try await tx.execute("DELETE FROM workers WHERE id = ?", [id])
            }
            return reclaimed
        }
    }

    /// Sends running images matching `condition` back to `queued`. An interruption (the worker died or
    /// lost its lease) does not use up an attempt, but an image interrupted more than `maxInterruptions`
    /// times fails: it is probably what kills the worker.
    @discardableResult
    func requeue(_ tx: any SQLTransaction, where condition: String, _ arguments: SQLArguments, now: Int64,
                 interrupted: Bool = true) async throws -> Int {
        let jobs = try await tx.fetchAll("SELECT DISTINCT job_id FROM images WHERE status = 'running' AND \(condition)", arguments)
            .map { $0["job_id"] as String }
        guard !jobs.isEmpty else { return 0 }
        let bump = interrupted ? 1 : 0
        let limit = configuration.maxInterruptions
        let count = try await tx.execute("""
            UPDATE images SET
              status = CASE WHEN interruptions + \(bump) > \(limit) THEN 'failed' ELSE 'queued' END,
              error = CASE WHEN interruptions + \(bump) > \(limit)
                           THEN 'the worker stopped ' || CAST(interruptions + \(bump) AS TEXT) || ' times while analysing this image'
                           ELSE error END,
              finished_at = CASE WHEN interruptions + \(bump) > \(limit) THEN \(now) ELSE NULL END,
              interruptions = interruptions + \(bump), attempts = \(Self.attemptGivenBack),
              lease_owner = NULL, lease_expires = NULL, ready_at = \(now)
            WHERE status = 'running' AND \(condition)
            """, arguments)
        try await refreshJobs(tx, Set(jobs), now: now)
        return count
    }

    /// `attempts - 1`, not below 0: the claim counted an attempt that did not happen. (Not `MAX(a, b)`,
    /// which is SQLite's alone.)
    static let attemptGivenBack = "CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"
}
