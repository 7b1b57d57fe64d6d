import GRDB

extension SQLiteQueueStore {
    /// Named migrations, applied in order. A migration that has shipped is never edited: change the
    /// schema with a new one (and the same change in the PostgreSQL store's migrations). Tables are named
    /// by string, not by Swift types, so renaming code never changes what an old database means.
    /// `extra` (other modules' tables, `QueueMigration`) follow the queue's own.
    static func migrator(extra: [QueueMigration] = []) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 jobs, images, artifacts, workers") { db in
            let states = JobState.sqlList
            try db.execute(sql: """
                CREATE TABLE jobs (
                  id TEXT PRIMARY KEY NOT NULL,
                  seq INTEGER NOT NULL UNIQUE,             -- arrival order; also the list cursor
                  status TEXT NOT NULL CHECK (status IN (\(states))),
                  model_name TEXT NOT NULL,
                  model_version INTEGER NOT NULL,
                  model_sha256 TEXT NOT NULL,
                  priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 9),
                  idempotency_key TEXT,
                  content_sha256 TEXT NOT NULL,            -- what an idempotent resubmission must match
                  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
                  created_at INTEGER NOT NULL,             -- ms since 1970
                  started_at INTEGER,
                  finished_at INTEGER,
                  error TEXT
                );
                CREATE UNIQUE INDEX jobs_idempotency_key ON jobs(idempotency_key) WHERE idempotency_key IS NOT NULL;
                CREATE INDEX jobs_status ON jobs(status, priority DESC, seq);

                CREATE TABLE workers (
                  id TEXT PRIMARY KEY NOT NULL,
                  host TEXT NOT NULL,
                  pid INTEGER NOT NULL,
                  started_at INTEGER NOT NULL,
                  heartbeat_at INTEGER NOT NULL
                );

                CREATE TABLE images (
                  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                  idx INTEGER NOT NULL CHECK (idx >= 0),
                  name TEXT,
                  blob TEXT NOT NULL,                      -- SHA-256 of the bytes under blobs/
                  byte_count INTEGER NOT NULL CHECK (byte_count >= 0),
                  status TEXT NOT NULL CHECK (status IN (\(states))),
                  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                  interruptions INTEGER NOT NULL DEFAULT 0,
                  ready_at INTEGER NOT NULL,               -- not claimed before (backoff)
                  lease_owner TEXT REFERENCES workers(id),
                  lease_expires INTEGER,
                  error TEXT,
                  finished_at INTEGER,
                  PRIMARY KEY (job_id, idx),
                  CHECK ((status = 'running') = (lease_owner IS NOT NULL AND lease_expires IS NOT NULL))
                );
                CREATE INDEX images_claim ON images(status, ready_at);
                CREATE INDEX images_blob ON images(blob);
                CREATE INDEX images_lease ON images(lease_owner) WHERE lease_owner IS NOT NULL;

                CREATE TABLE artifacts (
                  job_id TEXT NOT NULL,
                  idx INTEGER NOT NULL,
                  name TEXT NOT NULL,                      -- report.json, overlay.png, ...
                  blob TEXT NOT NULL,
                  media_type TEXT NOT NULL,
                  created_at INTEGER NOT NULL,
                  PRIMARY KEY (job_id, idx, name),
                  FOREIGN KEY (job_id, idx) REFERENCES images(job_id, idx) ON DELETE CASCADE
                );
                CREATE INDEX artifacts_blob ON artifacts(blob);
                """)
        }
        // The reviews table and the hash-chained audit trail.
        //
        // `audit_log` is append-only: triggers refuse UPDATE and DELETE, so only a deliberate edit (triggers
        // dropped, or the file rewritten) can change it, and `AuditTrail.verify()` catches that from the hash
        // chain alone. It has no foreign keys: its rows outlive the jobs they name (`prune`).
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
        // Artifacts of a whole job (its DICOM SR): written once, then served as stored, so a result has one
        // SOP Instance UID everywhere. Pruned with the job.
        migrator.registerMigration("v4-job-artifacts") { db in
            try db.execute(sql: """
                CREATE TABLE job_artifacts (
                  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                  name TEXT NOT NULL,                      -- sr.dcm, ...
                  blob TEXT NOT NULL,
                  media_type TEXT NOT NULL,
                  created_at INTEGER NOT NULL,
                  PRIMARY KEY (job_id, name)
                );
                CREATE INDEX job_artifacts_blob ON job_artifacts(blob);
                """)
        }
        // A queue item (an `images` row) of several input blobs, such as the slices of a series: part 0 is
        // `images.blob`, as it always was, and parts 1... are here. Items of one part have no rows.
        migrator.registerMigration("v5-item-parts") { db in
            try db.execute(sql: """
                CREATE TABLE image_parts (
                  job_id TEXT NOT NULL,
                  idx INTEGER NOT NULL,
                  part INTEGER NOT NULL CHECK (part >= 1),
                  name TEXT,
                  blob TEXT NOT NULL,
                  byte_count INTEGER NOT NULL CHECK (byte_count >= 0),
                  PRIMARY KEY (job_id, idx, part),
                  FOREIGN KEY (job_id, idx) REFERENCES images(job_id, idx) ON DELETE CASCADE
                );
                CREATE INDEX image_parts_blob ON image_parts(blob);
                """)
        }
        for migration in extra {
            migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sqlite) }
        }
        return migrator
    }
}
