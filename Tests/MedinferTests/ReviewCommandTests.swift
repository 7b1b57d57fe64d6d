import Foundation
import JobQueue
import TestSupport
import Testing

/// `medinfer review`, `review show`, `review decide` and `audit` as a clinician runs them: two jobs of the
/// tiny model run by `worker --once`, then from the worklist to a recorded verdict in three commands.
/// Outputs are compared with golden files after replacing job ids (`<JOB1>`, ...) and times (`<TIME>`).
@Suite struct ReviewCommandTests {
    typealias Env = JobsCommandTests.Env

    /// Two succeeded jobs: gray16.png at priority 5 (submitted first), gray8.png at priority 7.
    static func twoJobs(_ env: Env) throws -> (urgent: String, other: String) {
        let other = try env.run(["jobs", "submit", JobsCommandTests.gray16]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let urgent = try env.run(["jobs", "submit", JobsCommandTests.gray8, "--priority", "7"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let r = try env.run(["worker", "--once", "--max-delay-ms", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        return (urgent, other)
    }

    /// `columns`: pad the id placeholders to the ids' width, so the table's columns stay aligned (times are last).
    static func normalise(_ text: String, _ ids: [String], columns: Bool = false) -> String {
        var out = text
        for (i, id) in ids.enumerated() {
            let placeholder = "<JOB\(i + 1)>"
            out = out.replacingOccurrences(of: id, with: columns ? placeholder.padding(toLength: id.count, withPad: " ", startingAt: 0) : placeholder)
        }
        return out.replacingOccurrences(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#, with: "<TIME>", options: .regularExpression)
    }

    @Test func worklistShowDecide() throws {
        let env = try Env()
        defer { env.remove() }
        let (urgent, other) = try Self.twoJobs(env)
        let ids = [urgent, other]

        var r = try env.run(["review"])
        #expect(r.status == 0 && !r.stdout.contains("\u{1B}["), "\(r.stderr)")  // no colour into a pipe
        try GoldenOutputTests.check(Self.normalise(r.stdout, ids, columns: true), "review-list.txt")

        r = try env.run(["review", "show", urgent])
        #expect(r.status == 0, "\(r.stderr)")
        try GoldenOutputTests.check(Self.normalise(r.stdout, ids), "review-show.txt")

        r = try env.run(["review", "decide", urgent, "--disagree", "--comment", "motion artefact", "--reviewer", "Dr. A. Jones"])
        #expect(r.status == 0, "\(r.stderr)")
        try GoldenOutputTests.check(Self.normalise(r.stdout, ids), "review-decide.txt")

        // The verdict is recorded: off the worklist, in `show`, and in the audit trail (comment by hash only).
        r = try env.run(["review", "--json"])
        let items = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(items.compactMap { ($0["job"] as? [String: Any])?["id"] as? String } == [other])
        r = try env.run(["review", "show", urgent])
        #expect(Self.normalise(r.stdout, ids).contains("reviews       <TIME> disagree by Dr. A. Jones: motion artefact\n"), "\(r.stdout)")
        r = try env.run(["audit", "list", "--job", urgent, "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["kind"] as? String } == ["job.submitted", "job.succeeded", "job.artifact", "job.reviewed"])
        #expect(!r.stdout.contains("motion artefact"))
        r = try env.run(["audit", "verify"])
        #expect(r.status == 0 && r.stdout.hasPrefix("7 rows, chain intact\nhead "), "\(r.stdout)\(r.stderr)")
    }

    @Test func decideRefusals() throws {
        let env = try Env()
        defer { env.remove() }
        let queued = try env.run(["jobs", "submit", JobsCommandTests.gray8]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var r = try CLI.run(["review", "decide", queued, "--agree", "--reviewer", "x", "--data-dir", env.data.path])
        #expect(r.status == 1 && r.stderr == "medinfer: job \(queued) is queued; only succeeded jobs can be reviewed\n", "\(r.stderr)")
        r = try env.run(["review", "decide", queued, "--reviewer", "x"])
        #expect(r.status == 1 && r.stderr.contains("--agree"), "\(r.stderr)")
        r = try env.run(["review", "decide", queued, "--agree", "--disagree", "--reviewer", "x"])
        #expect(r.status == 1, "\(r.stderr)")
        r = try env.run(["review"])
        #expect(r.status == 0 && r.stdout == "no jobs to review\n", "\(r.stdout)")
    }

    @Test func reviewerIsRequired() throws {
        let env = try Env()
        defer { env.remove() }
        let (urgent, _) = try Self.twoJobs(env)
        let p = try CLI.run(["review", "decide", urgent, "--agree", "--data-dir", env.data.path], environment: ["MEDINFER_REVIEWER": ""])
        #expect(p.status == 1 && p.stderr == "medinfer: who is reviewing? Pass --reviewer NAME or set MEDINFER_REVIEWER\n", "\(p.stderr)")
        let r = try CLI.run(["review", "decide", urgent, "--agree", "--data-dir", env.data.path, "--json"],
                            environment: ["MEDINFER_REVIEWER": "Dr. B"])
        let review = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(review["reviewer"] as? String == "Dr. B" && review["agree"] as? Bool == true && review["job"] as? String == urgent)
    }

    /// `audit verify` after an edit, a deletion and an insertion made with the triggers dropped.
    @Test func auditVerifyNamesTheTamperedRow() async throws {
        let env = try Env()
        defer { env.remove() }
        _ = try Self.twoJobs(env)  // rows 1-6: submitted, submitted, succeeded, succeeded, and each job's stored SR
        // The CLI's data directory is SQLite: its triggers are what an attacker would drop.
        let store = try JobQueue(directory: env.data).store
        func tamper(_ sql: String) async throws {
            _ = try await store.write { tx in
                try await tx.execute("DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; " + sql)
            }
        }
        var r = try env.run(["audit", "verify"])
        #expect(r.status == 0 && r.stdout.hasPrefix("6 rows, chain intact\n"), "\(r.stdout)\(r.stderr)")
        r = try env.run(["audit", "list"])
        #expect(r.stdout.hasPrefix("SEQ  AT") && r.stdout.split(separator: "\n").count == 7, "\(r.stdout)")

        try await tamper("INSERT INTO audit_log (seq, at, kind, details, prev_hash, hash) VALUES (7, 0, 'job.reviewed', '{}', 'x', 'y')")
        r = try env.run(["audit", "verify"])
        #expect(r.status == 1 && r.stderr.hasPrefix("medinfer: audit trail broken: row 7 was edited"), "\(r.stderr)")
        try await tamper("DELETE FROM audit_log WHERE seq = 7; UPDATE audit_log SET kind = 'job.failed' WHERE seq = 4")
        r = try env.run(["audit", "verify"])
        #expect(r.status == 1 && r.stderr == "medinfer: audit trail broken: row 4 was edited: its content no longer matches its hash (3 rows before it intact)\n",
                "\(r.stderr)")
        try await tamper("DELETE FROM audit_log WHERE seq = 2")
        r = try env.run(["audit", "verify"])
        #expect(r.status == 1 && r.stderr.hasPrefix("medinfer: audit trail broken: row 2 was deleted"), "\(r.stderr)")
    }

    /// `models activate` appends `model.activated` with the weights' hash; an unknown version changes nothing.
    @Test func modelActivationIsAudited() throws {
        let env = try Env()
        defer { env.remove() }
        let models = ["--models-dir", env.repo.root.path]
        var r = try env.run(["models", "activate", "tiny", "1"] + models)
        #expect(r.status == 0, "\(r.stderr)")
        r = try env.run(["models", "activate", "tiny", "9"] + models)
        #expect(r.status == 1, "\(r.stderr)")
        r = try env.run(["audit", "list", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1 && rows[0]["kind"] as? String == "model.activated" && rows[0]["subject"] as? String == "tiny:1", "\(r.stdout)")
        #expect((rows[0]["details"] as? [String: String])?["sha256"]?.count == 64)
    }

    @Test func helpNamesEveryCommandWithAnExample() throws {
        for (command, subs) in [("review", ["list", "show", "decide"]), ("audit", ["list", "verify"])] {
            let help = try CLI.run([command, "--help"])
            #expect(help.status == 0 && help.stdout.contains("medinfer \(command)"), "\(help.stdout)")
            for sub in subs {
                let r = try CLI.run([command, sub, "--help"])
                #expect(r.status == 0 && r.stdout.contains("medinfer \(command) \(sub)"), "\(command) \(sub): \(r.stdout)")
            }
        }
    }
}
