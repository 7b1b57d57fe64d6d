import Crypto
import Foundation

/// What an audit row records. Open for extension (`AuditEventKind("key.rotated")`), so modules that add
/// events (the server's API keys) need no change here; the kinds MedInfer writes are the constants below.
public struct AuditEventKind: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// A job was accepted (details: content hash, model and weights hash, image count).
    public static let jobSubmitted = Self("job.submitted")
    /// Every image of a job succeeded (details: the SHA-256 of each stored report).
    public static let jobSucceeded = Self("job.succeeded")
    /// A job ended with failed images (details: the count, and the reports' hashes of those that succeeded).
    public static let jobFailed = Self("job.failed")
    /// A queued job was cancelled.
    public static let jobCancelled = Self("job.cancelled")
    /// A reviewer's verdict (details: verdict, reviewer, review id, SHA-256 of the comment).
    public static let jobReviewed = Self("job.reviewed")
    /// A model version was activated (subject `name:version`).
    public static let modelActivated = Self("model.activated")
    /// A model version was refused (checksum, shapes or canary).
    public static let modelRefused = Self("model.refused")
    /// An API key was created or revoked (subject: the key's id, never the secret).
    public static let keyCreated = Self("key.created")
    public static let keyRevoked = Self("key.revoked")
}

/// An event to append: ids and hashes only, never patient data (no names, no free text a person typed:
/// a review's comment is recorded by its SHA-256).
public struct AuditEvent: Sendable, Equatable {
    public var kind: AuditEventKind
    /// The job it concerns, if any (what `audit list --job` filters on).
    public var job: String?
    /// Another subject: `model:version`, a key id, ...
    public var subject: String?
    public var details: [String: String]

    public init(kind: AuditEventKind, job: String? = nil, subject: String? = nil, details: [String: String] = [:]) {
        self.kind = kind
        self.job = job
        self.subject = subject
        self.details = details
    }
}

/// One row of the audit trail, as `audit list --json` prints it.
public struct AuditRecord: Codable, Sendable, Equatable {
    /// 1, 2, 3, ... in the order of appending.
    public var seq: Int64
    /// ISO 8601 (UTC, milliseconds).
    public var at: String
    public var kind: AuditEventKind
    public var job: String?
    public var subject: String?
    public var details: [String: String]
    /// The previous row's `hash` (64 zeros for the first row).
    public var prevHash: String
    /// SHA-256 (hex) of `prevHash` followed by the row's canonical content (`AuditTrail.canonical`).
    public var hash: String
}

/// The hash-chained, append-only audit trail of a queue (`audit_log` in its store).
///
/// Submissions, results and reviews are appended by `JobQueue` in the same transaction as the change they
/// record, so a job never exists without its row nor a row without its job. Events outside the database
/// (a model activated or refused in the repository) are appended with `append(_:)` by whoever makes them;
/// changes to rows of the same store (the server's API keys) append with `append(_:_:now:)` in their own
/// transaction. Each row's hash covers its content and the previous row's hash, so `verify()` finds the
/// first row that was edited, inserted or deleted. A chain can be rewritten whole by someone who can write
/// the file; record the head hash `verify()` reports elsewhere to detect that.
public struct AuditTrail: Sendable {
    /// The queue whose store holds the trail.
    public let queue: JobQueue

    /// The previous hash of the first row.
    public static let genesis = String(repeating: "0", count: 64)

    /// Appends one event in a transaction of its own; returns the row.
    @discardableResult
    public func append(_ event: AuditEvent) async throws(JobQueueError) -> AuditRecord {
        try await queue.write { [queue] tx in try await Self.append(tx, event, now: queue.now()) }
    }

    /// The rows, oldest first, optionally only those of one job.
    public func list(job: String? = nil) async throws(JobQueueError) -> [AuditRecord] {
        try await queue.read { tx in
            var sql = "SELECT * FROM audit_log"
            var arguments: SQLArguments = []
            if let job {
                sql += " WHERE job_id = ?"
                arguments += [job]
            }
            return try await tx.fetchAll(sql + " ORDER BY seq", arguments).map(Self.record)
        }
    }

    /// Appends inside the caller's transaction (which must be a write transaction: the append reads the
    /// last row and writes the next, so two appends never share a predecessor), so the row commits or rolls
    /// back with the change it records: `queue.store.write { tx in ...; try await AuditTrail.append(tx, event,
    /// now: Timestamp.now()) }`. `now` is milliseconds since 1970.
    @discardableResult
    public static func append(_ tx: any SQLTransaction, _ event: AuditEvent, now: Int64) async throws -> AuditRecord {
        let last = try await tx.fetchOne("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        let seq = (last?["seq"] as Int64? ?? 0) + 1
        let prev = last?["hash"] as String? ?? genesis
        let details = try detailsText(event.details)
        let hash = chainHash(prev: prev, seq: seq, at: now, kind: event.kind.rawValue, job: event.job,
                             subject: event.subject, details: details)
        try await tx.execute("""
            INSERT INTO audit_log (seq, at, kind, job_id, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [seq, now, event.kind.rawValue, event.job, event.subject, details, prev, hash])
        return AuditRecord(seq: seq, at: Timestamp.iso8601(now), kind: event.kind, job: event.job, subject: event.subject,
                           details: event.details, prevHash: prev, hash: hash)
    }

    /// The details as stored: JSON with sorted keys. The hash covers the stored text, not a re-encoding,
    /// so verification never depends on how a future encoder formats JSON.
    static func detailsText(_ details: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(details), as: UTF8.self)
    }

    /// `SHA-256(prevHash + canonical content)`, hex. The content is each column as it is stored, length-
    /// prefixed (`<byte count>:<text>\n`, or `~\n` for NULL), so no two rows share an encoding.
    static func chainHash(prev: String, seq: Int64, at: Int64, kind: String, job: String?, subject: String?,
                          details: String) -> String {
        var text = prev
        for field in [String(seq), String(at), kind, job, subject, details] as [String?] {
            text += field.map { "\($0.utf8.count):\($0)\n" } ?? "~\n"
        }
        return SHA256.hash(data: Data(text.utf8)).hexString
    }

    /// A stored row as a record.
    public static func record(_ row: SQLRow) throws -> AuditRecord {
        let text: String = row["details"]
        let details = (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? ["unreadable": text]
        return AuditRecord(seq: row["seq"], at: Timestamp.iso8601(row["at"]), kind: AuditEventKind(row["kind"] as String),
                           job: row["job_id"], subject: row["subject"], details: details,
                           prevHash: row["prev_hash"], hash: row["hash"])
    }
}

extension JobQueue {
    /// The audit trail of this data directory.
    public var audit: AuditTrail { AuditTrail(queue: self) }
}
