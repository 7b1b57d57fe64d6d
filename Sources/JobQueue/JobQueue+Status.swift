public import Core
public import Foundation

/// One stored artifact of an image (a report, an overlay, …): opaque bytes with a name and media type.
public struct StoredArtifact: Sendable, Equatable {
    /// The image it belongs to; nil for an artifact of the whole job (`jobArtifact`).
    public var image: Int?
    public var name: String
    public var mediaType: String
    /// SHA-256 of the bytes: the blob's name.
    public var blob: String
    public var data: Data
}

extension JobQueue {
    /// The job as the API shows it, with its queue position while queued.
    public func status(_ id: String) async throws(JobQueueError) -> JobStatus {
        try await read { tx in
            guard let row = try await tx.fetchOne("SELECT * FROM jobs WHERE id = ?", [id]) else {
                throw JobQueueError.notFound(id: id)
            }
            return try await Self.jobStatus(tx, row)
        }
    }

    /// Jobs newest first, optionally only those in `state`; `limit` per page (1...1000).
    public func list(state: JobState? = nil, limit: Int = 50, cursor: String? = nil) async throws(JobQueueError) -> JobPage {
        guard (1...1000).contains(limit) else { throw .invalidArgument("limit must be 1...1000, got \(limit)") }
        var before = Int64.max
        if let cursor {
            guard let seq = Int64(cursor), seq > 0 else { throw .invalidArgument("not a cursor of this queue: '\(cursor)'") }
            before = seq
        }
        return try await read { [before] tx in
            var sql = "SELECT * FROM jobs WHERE seq < ?"
            var arguments: SQLArguments = [before]
            if let state {
                sql += " AND status = ?"
                arguments += [state.rawValue]
            }
            sql += " ORDER BY seq DESC LIMIT ?"
            arguments += [limit + 1]
            let rows = try await tx.fetchAll(sql, arguments)
            let page = rows.prefix(limit)
            let jobs = try await page.asyncMap { try await Self.jobStatus(tx, $0) }
            let next: String? = rows.count > limit ? String(page.last!["seq"] as Int64) : nil
            return JobPage(jobs: jobs, nextCursor: next)
        }
    }

    /// The job and every artifact called `name` of its images (one per succeeded image), in image order,
    /// read from their durable blobs.
    public func artifacts(job id: String, named name: String) async throws(JobQueueError) -> (job: JobStatus, artifacts: [StoredArtifact]) {
        let (job, rows) = try await read { tx in
            guard let row = try await tx.fetchOne("SELECT * FROM jobs WHERE id = ?", [id]) else {
                throw JobQueueError.notFound(id: id)
            }
            return (try await Self.jobStatus(tx, row), try await Self.artifactRows(tx, job: id, named: name))
        }
        return (job, try await load(rows))
    }

    /// The rows of a job's artifacts called `name`, in image order.
    static func artifactRows(_ tx: any SQLTransaction, job id: String, named name: String) async throws -> [SQLRow] {
        try await tx.fetchAll("SELECT idx, name, blob, media_type FROM artifacts WHERE job_id = ? AND name = ? ORDER BY idx", [id, name])
    }

    /// Reads the blobs `artifactRows` names (on the blocking executor).
    func load(_ rows: [SQLRow]) async throws(JobQueueError) -> [StoredArtifact] {
        try await Blocking.run { [blobs] () throws(JobQueueError) in
            var loaded: [StoredArtifact] = []
            for row in rows {
                let blob: String = row["blob"]
                loaded.append(StoredArtifact(image: row["idx"], name: row["name"], mediaType: row["media_type"], blob: blob,
                                             data: try blobs.read(blob)))
            }
            return loaded
        }
    }

    /// A stored blob's bytes, checked against its SHA-256 (on the blocking executor).
    public func blob(_ sha256: String) async throws(JobQueueError) -> Data {
        try await Blocking.run { [blobs] () throws(JobQueueError) in try blobs.read(sha256) }
    }

    /// One stored artifact of one image (`report.json`, `overlay.png`, ...): its bytes and media type.
    public func artifact(job id: String, image: Int, name: String) async throws(JobQueueError) -> (data: Data, mediaType: String) {
        let row = try await read { tx in
            try await tx.fetchOne("SELECT blob, media_type FROM artifacts WHERE job_id = ? AND idx = ? AND name = ?", [id, image, name])
        }
        guard let row else { throw .notFound(id: "\(id)/images/\(image)/\(name)") }
        return (try await blob(row["blob"]), row["media_type"])
    }

    /// The SHA-256 of each input image of a job, by image index (`blobs.read` gives the bytes).
    public func imageBlobs(job id: String) async throws(JobQueueError) -> [Int: String] {
        try await read { tx in
            try await tx.fetchAll("SELECT idx, blob FROM images WHERE job_id = ?", [id])
                .reduce(into: [Int: String]()) { $0[$1["idx"]] = $1["blob"] }
        }
    }

    /// Jobs per state (every state present, zero when none), for metrics and `--once`.
    public func jobCounts() async throws(JobQueueError) -> [JobState: Int] {
        try await read { tx in
            var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for row in try await tx.fetchAll("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status") {
                if let s = JobState(rawValue: row["status"]) { counts[s] = row["n"] }
            }
            return counts
        }
    }

    static func jobStatus(_ tx: any SQLTransaction, _ row: SQLRow) async throws -> JobStatus {
        let id: String = row["id"]
        let state = JobState(rawValue: row["status"]) ?? .failed
        let images = try await tx.fetchAll("SELECT idx, status, name, attempts, error FROM images WHERE job_id = ? ORDER BY idx", [id])
            .map { r in
            JobStatus.Image(index: r["idx"], status: JobState(rawValue: r["status"]) ?? .failed, name: r["name"],
                            attempts: r["attempts"], error: r["error"])
        }
        var position: Int?
        if state == .queued {
            let priority: Int = row["priority"]
            let seq: Int64 = row["seq"]
            position = try await tx.scalar("""
                SELECT COUNT(*) AS n FROM jobs WHERE status = 'queued' AND (priority > ? OR (priority = ? AND seq < ?))
                """, [priority, priority, seq], as: Int.self)
        }
        return JobStatus(
            id: id, status: state,
            model: ModelRef(name: row["model_name"], version: row["model_version"],
                                    sha256: row["model_sha256"]),
            priority: row["priority"], createdAt: Timestamp.iso8601(row["created_at"]),
            startedAt: (row["started_at"] as Int64?).map(Timestamp.iso8601),
            finishedAt: (row["finished_at"] as Int64?).map(Timestamp.iso8601),
            attempts: images.map(\.attempts).max() ?? 0, queuePosition: position, images: images,
            error: row["error"], idempotencyKey: row["idempotency_key"])
    }
}
