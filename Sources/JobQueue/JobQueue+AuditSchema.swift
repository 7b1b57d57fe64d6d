import GRDB

extension JobQueue {
    /// The reviews table and the hash-chained audit trail (a migration of its own, after v1).
    ///
    /// `audit_log` is append-only: triggers refuse UPDATE and DELETE, so only a deliberate edit (triggers
    /// dropped, or the file rewritten) can change it, and `AuditTrail.verify()` catches that from the hash
    /// chain alone. It has no foreign keys: its rows outlive the jobs they name (`prune`).
    static func registerReviewsAndAudit(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-reviews-audit") { db in
            try db.execute(sql: """
                CREATE TABLE reviews (
                  id INTEGER PRIMARY KEY NOT NULL,          -- order of recording; the latest verdict counts
                  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                  agree INTEGER NOT NULL CHECK (agree IN (0, 1)),
                  comment TEXT,
                  reviewer TEXT NOT NULL CHECK (length(reviewer) > 0),
                  created_at INTEGER NOT NULL               -- ms since 1970
                );
                CREATE INDEX reviews_job ON reviews(job_id, id);

                CREATE TABLE audit_log (
                  seq INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),  -- 1, 2, 3, ... without gaps
                  at INTEGER NOT NULL,                      -- ms since 1970
                  kind TEXT NOT NULL,                       -- job.submitted, job.reviewed, model.activated, ...
                  job_id TEXT,                              -- ids and hashes only, never patient data
                  subject TEXT,
                  details TEXT NOT NULL,                    -- a JSON object of strings
                  prev_hash TEXT NOT NULL,
                  hash TEXT NOT NULL UNIQUE
                );
                CREATE INDEX audit_log_job ON audit_log(job_id, seq) WHERE job_id IS NOT NULL;
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
                """)
        }
    }
}
