import Crypto
import Foundation
@testable import JobQueue
import QueueTestSupport
import Testing

/// The hash chain: rows appended with the events they record, and every kind of tampering (edit, delete,
/// insert, with the append-only triggers dropped as an attacker would) found at the right row, on every store.
@Suite struct AuditTrailTests {
    /// Five rows: submitted, succeeded, submitted, cancelled, reviewed.
    static func fiveRows(_ t: TemporaryQueue) async throws -> (done: String, cancelled: String) {
        let done = try await t.succeededJob(artifact: Data(#"{"report":1}"#.utf8))
        let cancelled = try await t.submit().job.id
        try await t.queue.cancel(cancelled)
        try await t.queue.recordReview(job: done, agree: false, comment: "Mrs X's scan: artefact", reviewer: "Dr. Jones")
        return (done, cancelled)
    }

    /// Runs `sql` with the append-only triggers switched off, as someone who can write the database would.
    static func tamper(_ t: TemporaryQueue, _ sql: String, _ arguments: SQLArguments = []) async throws {
        try await t.queue.store.write { tx in
            switch tx.dialect {
            case .sqlite:
                try await tx.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
                try await tx.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
            case .postgres:
                try await tx.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
            }
            try await tx.execute(sql, arguments)
        }
    }

    @Test(arguments: TestQueueStores.kinds) func eventsAreChainedInTheirTransactions(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let (done, cancelled) = try await Self.fiveRows(t)
        let rows = try await t.queue.audit.list()
        #expect(rows.map(\.kind) == [.jobSubmitted, .jobSucceeded, .jobSubmitted, .jobCancelled, .jobReviewed])
        #expect(rows.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(rows.map(\.job) == [done, done, cancelled, cancelled, done])
        #expect(rows.first?.prevHash == AuditTrail.genesis)
        for (a, b) in zip(rows, rows.dropFirst()) { #expect(b.prevHash == a.hash) }
        // The result row names the stored report; the review row the comment's hash, never its text.
        let report = try #require(rows[1].details["report.json"])
        #expect(report.hasPrefix("0:") && report.count == 66)
        #expect(rows[4].subject == "Dr. Jones" && rows[4].details["verdict"] == "disagree" && rows[4].details["commentSHA256"]?.count == 64)
        #expect(!rows.contains { $0.details.values.contains { $0.contains("Mrs X") } })
        await #expect(try t.queue.audit.list(job: cancelled).map(\.seq) == [3, 4])

        let check = try await t.queue.audit.verify()
        #expect(check == AuditVerification(rows: 5, head: rows[4].hash, problem: nil))
    }

    @Test(arguments: TestQueueStores.kinds) func appendedEventsOutsideTheQueueJoinTheChain(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let row = try await t.queue.audit.append(AuditEvent(kind: .modelActivated, subject: "m:2", details: ["sha256": "ab"]))
        #expect(row.seq == 1 && row.job == nil)
        _ = try await t.succeededJob(artifact: Data(#"{"report":2}"#.utf8))
        await #expect(try t.queue.audit.verify().problem == nil)
        await #expect(try t.queue.audit.verify().rows == 3)
    }

    @Test(arguments: TestQueueStores.kinds) func triggersRefuseUpdatesAndDeletes(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        _ = try await t.submit()
        for sql in ["UPDATE audit_log SET subject = 'x'", "DELETE FROM audit_log"] {
            await #expect(throws: JobQueueError.self) { try await t.queue.store.write { tx in try await tx.execute(sql) } }
        }
        await #expect(try t.queue.audit.verify().problem == nil)
    }

    @Test(arguments: TestQueueStores.kinds) func anEditedRowIsNamed(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        _ = try await Self.fiveRows(t)
        try await Self.tamper(t, "UPDATE audit_log SET details = '{\"verdict\":\"agree\"}' WHERE seq = 5")
        await #expect(try t.queue.audit.verify().problem == .edited(seq: 5))
        try await Self.tamper(t, "UPDATE audit_log SET at = at + 1 WHERE seq = 2")
        await #expect(try t.queue.audit.verify().problem == .edited(seq: 2))
    }

    /// An edit whose hash was recomputed passes its own row, and breaks the link of the next.
    @Test(arguments: TestQueueStores.kinds) func aRehashedEditBreaksTheNextLink(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        _ = try await Self.fiveRows(t)
        let row = try await #require(try t.queue.audit.list().first { $0.seq == 2 })
        let details = "{}"
        let hash = AuditTrail.chainHash(prev: row.prevHash, seq: 2, at: 0, kind: row.kind.rawValue, job: row.job,
                                        subject: nil, details: details)
        try await Self.tamper(t, "UPDATE audit_log SET at = 0, details = ?, hash = ? WHERE seq = 2", [details, hash])
        let problem = try await t.queue.audit.verify().problem
        #expect(problem == .unlinked(seq: 3))
        #expect(problem?.description == "row 3 does not follow row 2: row 3 was inserted, or row 2 was edited and its hash recomputed")
    }

    @Test(arguments: TestQueueStores.kinds) func aDeletedRowIsNamed(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        _ = try await Self.fiveRows(t)
        try await Self.tamper(t, "DELETE FROM audit_log WHERE seq = 3")
        let check = try await t.queue.audit.verify()
        #expect(check.problem == .deleted(seq: 3) && check.rows == 2)
    }

    @Test(arguments: TestQueueStores.kinds) func aDeletedRowIsNamedWhenLaterRowsWereRenumbered(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        _ = try await Self.fiveRows(t)
        try await Self.tamper(t, "DELETE FROM audit_log WHERE seq = 3")
        // Through 1000s, as a unique key checked row by row (PostgreSQL's) refuses a shift by one in place.
        try await Self.tamper(t, "UPDATE audit_log SET seq = seq + 1000 WHERE seq > 3")
        try await Self.tamper(t, "UPDATE audit_log SET seq = seq - 1001 WHERE seq > 1000")
        await #expect(try t.queue.audit.verify().problem == .deleted(seq: 3))
    }

    /// Rows deleted from the end leave no gap: what they recorded, still in the database, names them.
    @Test(arguments: TestQueueStores.kinds) func rowsDeletedFromTheEndAreFound(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let (done, cancelled) = try await Self.fiveRows(t)
        try await Self.tamper(t, "DELETE FROM audit_log WHERE seq = 5")
        var check = try await t.queue.audit.verify()
        #expect(check.problem == .truncated(seq: 5, missing: "review 1 of job \(done)") && check.rows == 4)
        try await Self.tamper(t, "DELETE FROM audit_log WHERE seq >= 3")
        check = try await t.queue.audit.verify()
        #expect(check.problem?.description == "rows from 3 on were deleted: the submission of job \(cancelled) has no row")
    }

    /// A forged row with a correct link and hash, slipped in by renumbering the rows after it.
    @Test(arguments: TestQueueStores.kinds) func anInsertedRowIsNamed(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        _ = try await Self.fiveRows(t)
        let before = try await #require(try t.queue.audit.list().first { $0.seq == 2 })
        let hash = AuditTrail.chainHash(prev: before.hash, seq: 3, at: 1, kind: "job.reviewed", job: before.job,
                                        subject: "forger", details: "{}")
        try await Self.tamper(t, "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 3")
        try await Self.tamper(t, "UPDATE audit_log SET seq = seq - 999 WHERE seq > 1000")
        try await Self.tamper(t, """
            INSERT INTO audit_log (seq, at, kind, job_id, subject, details, prev_hash, hash)
              VALUES (3, 1, 'job.reviewed', ?, 'forger', '{}', ?, ?)
            """, [before.job, before.hash, hash])
        await #expect(try t.queue.audit.verify().problem == .inserted(seq: 3))
    }

    /// A row appended by hand with a made-up link.
    @Test(arguments: TestQueueStores.kinds) func aRowAppendedByHandIsNamed(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        _ = try await Self.fiveRows(t)
        let hash = AuditTrail.chainHash(prev: AuditTrail.genesis, seq: 6, at: 1, kind: "job.reviewed", job: nil,
                                        subject: "forger", details: "{}")
        try await Self.tamper(t, """
            INSERT INTO audit_log (seq, at, kind, subject, details, prev_hash, hash) VALUES (6, 1, 'job.reviewed', 'forger', '{}', ?, ?)
            """, [AuditTrail.genesis, hash])
        await #expect(try t.queue.audit.verify().problem == .unlinked(seq: 6))
    }
}

/// Artifacts of a whole job: stored once, the first writer wins, every reader gets its bytes.
@Suite struct JobArtifactTests {
    @Test(arguments: TestQueueStores.kinds) func firstWriterWinsAndIsAudited(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let id = try await t.succeededJob(artifact: Data(#"{"report":1}"#.utf8))
        #expect(try await t.queue.jobArtifact(job: id, named: "sr.dcm") == nil)
        // Two writers at once (two workers, or a worker and a first request): both get the winner's bytes.
        async let one = t.queue.storeJobArtifact(job: id, named: "sr.dcm", mediaType: "application/dicom", data: Data("one".utf8))
        async let two = t.queue.storeJobArtifact(job: id, named: "sr.dcm", mediaType: "application/dicom", data: Data("two".utf8))
        let (a, b) = try await (one, two)
        #expect(a == b && [Data("one".utf8), Data("two".utf8)].contains(a.data))
        let first = a
        #expect(try await t.queue.jobArtifact(job: id, named: "sr.dcm") == first)
        let later = try await t.queue.storeJobArtifact(job: id, named: "sr.dcm", mediaType: "application/dicom", data: Data("three".utf8))
        #expect(later == first)
        let stored = try await t.queue.audit.list(job: id).filter { $0.kind == .jobArtifactStored }
        #expect(stored.count == 1 && stored.first?.subject == "sr.dcm" && stored.first?.details["sha256"] == first.blob)
        await #expect(throws: JobQueueError.notFound(id: "nope")) {
            try await t.queue.storeJobArtifact(job: "nope", named: "sr.dcm", mediaType: "application/dicom", data: Data())
        }
        // A losing writer's blob is an orphan the sweep removes; the stored one stays.
        _ = try await t.queue.sweep()
        let loser = SHA256.hash(data: first.data == Data("one".utf8) ? Data("two".utf8) : Data("one".utf8))
            .map { String(format: "%02x", $0) }.joined()
        #expect(t.files.blobs.contains(first.blob) && !t.files.blobs.contains(loser))
        await #expect(try t.queue.jobArtifact(job: id, named: "sr.dcm")?.data == first.data)
    }
}
