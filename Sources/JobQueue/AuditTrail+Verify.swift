
/// The first place where the audit chain is broken. `seq` names the row.
public enum AuditProblem: Sendable, Equatable, CustomStringConvertible {
    /// The row's content no longer matches its hash.
    case edited(seq: Int64)
    /// The row is missing: the chain goes from row `seq - 1` to a row that followed it.
    case deleted(seq: Int64)
    /// The row was slipped in: the row after it still names row `seq - 1` as its predecessor.
    case inserted(seq: Int64)
    /// The row's own hash is right but it does not name row `seq - 1`'s hash: it was inserted, or row
    /// `seq - 1` was edited and its hash recomputed (the chain cannot tell which).
    case unlinked(seq: Int64)
    /// The chain is intact up to row `seq - 1`, but rows from `seq` on were deleted: `missing` (a review, or
    /// the submission of a job that arrived after the trail began) is still in the database without its row.
    case truncated(seq: Int64, missing: String)

    public var seq: Int64 {
        switch self {
        case .edited(let s), .deleted(let s), .inserted(let s), .unlinked(let s), .truncated(let s, _): s
        }
    }

    public var description: String {
        switch self {
        case .edited(let s): "row \(s) was edited: its content no longer matches its hash"
        case .deleted(let s): "row \(s) was deleted: the chain goes from row \(s - 1) to a row that followed row \(s)"
        case .inserted(let s): "row \(s) was inserted: row \(s + 1) still follows row \(s - 1)"
        case .unlinked(let s):
            "row \(s) does not follow row \(s - 1): row \(s) was inserted, or row \(s - 1) was edited and its hash recomputed"
        case let .truncated(s, missing): "rows from \(s) on were deleted: \(missing) has no row"
        }
    }
}

/// What `AuditTrail.verify()` found.
public struct AuditVerification: Sendable, Equatable {
    /// Rows read.
    public var rows: Int
    /// The last row's hash (the genesis hash when empty): keep it elsewhere to detect a rewritten chain.
    public var head: String
    /// The first break, or nil when the chain is intact.
    public var problem: AuditProblem?
}

extension AuditTrail {
    /// Walks the chain from the first row (in one read transaction, so a consistent snapshot) and stops at
    /// the first row that was edited, inserted or deleted. Rows are numbered 1, 2, 3, ... without gaps and
    /// each hash covers the row's number, so a deletion is found whether or not later rows were renumbered.
    /// Rows deleted from the end leave no gap: they are found when what they recorded is still in the
    /// database (a review, or a job submitted after the trail began).
    public func verify() async throws(JobQueueError) -> AuditVerification {
        try await queue.read { tx in
            var expected: Int64 = 1
            var previous = Self.genesis, beforePrevious: String?
            var submitted = Set<String>(), reviews = Set<String>()
            for row in try await tx.fetchAll("SELECT * FROM audit_log ORDER BY seq") {
                let seq: Int64 = row["seq"], link: String = row["prev_hash"], stored: String = row["hash"]
                let count = Int(expected - 1)
                if seq != expected { return AuditVerification(rows: count, head: previous, problem: .deleted(seq: expected)) }
                let hash = { (number: Int64) in
                    Self.chainHash(prev: link, seq: number, at: row["at"], kind: row["kind"], job: row["job_id"],
                                   subject: row["subject"], details: row["details"])
                }
                let intact = hash(seq) == stored
                var problem: AuditProblem?
                if link == previous {
                    if !intact { problem = .edited(seq: seq) }
                } else if link == beforePrevious {
                    problem = .inserted(seq: seq - 1)
                } else if intact {
                    problem = .unlinked(seq: seq)
                } else if (1...16).contains(where: { hash(seq + $0) == stored }) {
                    // Rows were deleted and the later ones renumbered to hide the gap.
                    problem = .deleted(seq: seq)
                } else {
                    problem = .edited(seq: seq)
                }
                if let problem { return AuditVerification(rows: count, head: previous, problem: problem) }
                let kind: String = row["kind"]
                if kind == AuditEventKind.jobSubmitted.rawValue, let job: String = row["job_id"] { submitted.insert(job) }
                if kind == AuditEventKind.jobReviewed.rawValue, let review = try Self.record(row).details["review"] { reviews.insert(review) }
                beforePrevious = previous
                previous = stored
                expected += 1
            }
            let missing = try await Self.unrecorded(tx, submitted: submitted, reviews: reviews)
            return AuditVerification(rows: Int(expected - 1), head: previous, problem: missing.map { .truncated(seq: expected, missing: $0) })
        }
    }

    /// The earliest of: a review without its row, a job without its submission row among the jobs that
    /// arrived after the oldest job the trail records (older ones predate the trail, or it was emptied).
    static func unrecorded(_ tx: any SQLTransaction, submitted: Set<String>, reviews: Set<String>) async throws -> String? {
        var found: [(at: Int64, what: String)] = []
        for row in try await tx.fetchAll("SELECT id, job_id, created_at FROM reviews ORDER BY id") {
            let id: Int64 = row["id"]
            if !reviews.contains(String(id)) {
                found.append((row["created_at"], "review \(id) of job \(row["job_id"] as String)"))
                break
            }
        }
        var anchored = false
        for row in try await tx.fetchAll("SELECT id, created_at FROM jobs ORDER BY seq") {
            let id: String = row["id"]
            if submitted.contains(id) {
                anchored = true
            } else if anchored {
                found.append((row["created_at"], "the submission of job \(id)"))
                break
            }
        }
        return found.min { $0.at < $1.at }?.what
    }
}
