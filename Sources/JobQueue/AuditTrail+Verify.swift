import GRDB

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

    public var seq: Int64 {
        switch self {
        case .edited(let s), .deleted(let s), .inserted(let s), .unlinked(let s): s
        }
    }

    public var description: String {
        switch self {
        case .edited(let s): "row \(s) was edited: its content no longer matches its hash"
        case .deleted(let s): "row \(s) was deleted: the chain goes from row \(s - 1) to a row that followed row \(s)"
        case .inserted(let s): "row \(s) was inserted: row \(s + 1) still follows row \(s - 1)"
        case .unlinked(let s):
            "row \(s) does not follow row \(s - 1): row \(s) was inserted, or row \(s - 1) was edited and its hash recomputed"
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
    public func verify() throws(JobQueueError) -> AuditVerification {
        try queue.read { db in
            var expected: Int64 = 1
            var previous = Self.genesis, beforePrevious: String?
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM audit_log ORDER BY seq")
            while let row = try rows.next() {
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
                beforePrevious = previous
                previous = stored
                expected += 1
            }
            return AuditVerification(rows: Int(expected - 1), head: previous, problem: nil)
        }
    }
}
