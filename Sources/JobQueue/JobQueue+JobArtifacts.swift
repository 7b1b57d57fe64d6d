import Core
public import Foundation

extension AuditEventKind {
    /// An artifact of a whole job was stored (subject: its name; details: its SHA-256).
    public static let jobArtifactStored = Self("job.artifact")
}

/// Artifacts of a whole job rather than of one image (its DICOM SR): stored once and then only read, so
/// every reader gets the same bytes (and a DICOM object the same SOP Instance UID) however often it asks.
extension JobQueue {
    /// The job's artifact called `name`, or nil when none is stored yet.
    /// - Throws: `.notFound` for an unknown job, `.storage` when the stored blob is missing or damaged.
    public func jobArtifact(job id: String, named name: String) async throws(JobQueueError) -> StoredArtifact? {
        let row = try await read { tx -> SQLRow? in
            guard try await tx.scalar("SELECT EXISTS (SELECT 1 FROM jobs WHERE id = ?) AS found", [id], as: Bool.self) == true else {
                throw JobQueueError.notFound(id: id)
            }
            return try await tx.fetchOne("SELECT name, blob, media_type FROM job_artifacts WHERE job_id = ? AND name = ?", [id, name])
        }
        guard let row else { return nil }
        let blob: String = row["blob"]
        return StoredArtifact(image: nil, name: name, mediaType: row["media_type"], blob: blob, data: try await self.blob(blob))
    }

    /// Stores `data` as the job's artifact `name` unless one is stored already, and returns the stored one:
    /// the first writer wins, so concurrent writers (two workers, a worker and a first request) all end up
    /// serving the same bytes. The blob is durable before its row commits; the row and its audit entry
    /// (`job.artifact`) commit together.
    public func storeJobArtifact(job id: String, named name: String, mediaType: String,
                                 data: Data) async throws(JobQueueError) -> StoredArtifact {
        // Stored already (the usual case for a second request), or no such job: no blob to write.
        if let stored = try await jobArtifact(job: id, named: name) { return stored }
        let (stored, ours) = try await withBlobHold { () async throws(JobQueueError) -> ((blob: String, mediaType: String), String) in
            let ref = try await Blocking.run { [blobs] () throws(JobQueueError) in try blobs.put(data) }
            let stored = try await write { tx -> (blob: String, mediaType: String) in
                guard try await tx.scalar("SELECT EXISTS (SELECT 1 FROM jobs WHERE id = ?) AS found", [id], as: Bool.self) == true else {
                    throw JobQueueError.notFound(id: id)
                }
                if let row = try await tx.fetchOne("SELECT blob, media_type FROM job_artifacts WHERE job_id = ? AND name = ?", [id, name]) {
                    return (row["blob"], row["media_type"])
                }
                try await Self.insertJobArtifact(tx, job: id, Artifact(name: name, blob: ref, mediaType: mediaType), now: self.now())
                return (ref.sha256, mediaType)
            }
            return (stored, ref.sha256)
        }
        // Another writer's bytes when it came first; ours otherwise (what we wrote is swept as an orphan).
        let bytes = stored.blob == ours ? data : try await blob(stored.blob)
        return StoredArtifact(image: nil, name: name, mediaType: stored.mediaType, blob: stored.blob, data: bytes)
    }

    /// The row of a job's artifact and its audit entry (`job.artifact`), in the caller's transaction; the
    /// caller has checked that none is stored under that name.
    static func insertJobArtifact(_ tx: any SQLTransaction, job id: String, _ artifact: Artifact, now: Int64) async throws {
        try await tx.execute("INSERT INTO job_artifacts (job_id, name, blob, media_type, created_at) VALUES (?, ?, ?, ?, ?)",
                             [id, artifact.name, artifact.blob.sha256, artifact.mediaType, now])
        try await AuditTrail.append(tx, AuditEvent(kind: .jobArtifactStored, job: id, subject: artifact.name,
                                                   details: ["sha256": artifact.blob.sha256]), now: now)
    }
}
