import GRDB

extension JobQueue {
    /// Registers the worker (or renews its heartbeat) and extends every lease it holds.
    func heartbeat(_ worker: WorkerIdentity) throws(JobQueueError) {
        try write { db in
            let now = Timestamp.now()
            try self.upsert(db, worker, now: now)
            try db.execute(sql: "UPDATE images SET lease_expires = ? WHERE lease_owner = ? AND status = 'running'",
                           arguments: [now + Timestamp.milliseconds(self.configuration.leaseDuration), worker.id])
        }
    }

    func upsert(_ db: Database, _ worker: WorkerIdentity, now: Int64) throws {
        try db.execute(sql: """
            INSERT INTO workers (id, host, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
            """, arguments: [worker.id, worker.host, worker.pid, now, now])
    }

    /// Gives back claims a worker will not process (it is stopping): they are queued again at once and
    /// the attempt is not counted.
    func release(_ worker: WorkerIdentity, _ images: [ClaimedImage]) throws(JobQueueError) {
        try write { db in
            let now = Timestamp.now()
            for image in images {
                try db.execute(sql: """
                    UPDATE images SET status = 'queued', lease_owner = NULL, lease_expires = NULL,
                                      attempts = MAX(attempts - 1, 0), ready_at = ?
                    WHERE job_id = ? AND idx = ? AND lease_owner = ? AND status = 'running'
                    """, arguments: [now, image.jobID, image.index, worker.id])
            }
            try self.refreshJobs(db, Set(images.map(\.jobID)), now: now)
        }
    }

    /// Removes the worker's row at a clean exit, giving back anything it still holds.
    func unregister(_ worker: WorkerIdentity) throws(JobQueueError) {
        try write { db in
            let now = Timestamp.now()
            try self.requeue(db, where: "lease_owner = ?", [worker.id], now: now, interrupted: false)
            try db.execute(sql: "DELETE FROM workers WHERE id = ?", arguments: [worker.id])
        }
    }

    /// At start-up: the images of workers that are gone go back to the queue now. Gone means a process of
    /// this host that no longer exists (`isAlive(pid)` false), or any worker silent for a whole lease.
    /// Returns how many images were taken back.
    @discardableResult
    func reclaimAbandoned(host: String, isAlive: (Int32) -> Bool) throws(JobQueueError) -> Int {
        try write { db in
            let now = Timestamp.now()
            let stale = now - Timestamp.milliseconds(self.configuration.leaseDuration)
            var reclaimed = 0
            for r in try Row.fetchAll(db, sql: "SELECT id, host, pid, heartbeat_at FROM workers") {
                let gone = ((r["host"] as String) == host && !isAlive(r["pid"])) || (r["heartbeat_at"] as Int64) < stale
                guard gone else { continue }
                let id: String = r["id"]
                reclaimed += try self.requeue(db, where: "lease_owner = ?", [id], now: now)
                try db.execute(sql: "DELETE FROM workers WHERE id = ?", arguments: [id])
            }
            return reclaimed
        }
    }

    /// Sends running images matching `condition` back to `queued`. An interruption (the worker died or
    /// lost its lease) does not use up an attempt, but an image interrupted more than `maxInterruptions`
    /// times fails: it is probably what kills the worker.
    @discardableResult
    func requeue(_ db: Database, where condition: String, _ arguments: StatementArguments, now: Int64,
                 interrupted: Bool = true) throws -> Int {
        let jobs = try String.fetchAll(db, sql: "SELECT DISTINCT job_id FROM images WHERE status = 'running' AND \(condition)",
                                       arguments: arguments)
        guard !jobs.isEmpty else { return 0 }
        let bump = interrupted ? 1 : 0
        let limit = configuration.maxInterruptions
        try db.execute(sql: """
            UPDATE images SET
              status = CASE WHEN interruptions + \(bump) > \(limit) THEN 'failed' ELSE 'queued' END,
              error = CASE WHEN interruptions + \(bump) > \(limit)
                           THEN 'the worker stopped ' || (interruptions + \(bump)) || ' times while analysing this image'
                           ELSE error END,
              finished_at = CASE WHEN interruptions + \(bump) > \(limit) THEN \(now) ELSE NULL END,
              interruptions = interruptions + \(bump), attempts = MAX(attempts - 1, 0),
              lease_owner = NULL, lease_expires = NULL, ready_at = \(now)
            WHERE status = 'running' AND \(condition)
            """, arguments: arguments)
        let count = db.changesCount
        try refreshJobs(db, Set(jobs), now: now)
        return count
    }
}
