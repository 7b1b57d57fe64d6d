import JobQueue
@testable import JobQueuePostgres
import Synchronization
import Foundation
import Testing

@Suite("PostgreSQL migrations", .enabled(if: TestDatabase.isConfigured, TestDatabase.skipReason))
struct PostgresSchemaTests {
    /// A table another module registers (as the server does its API keys): applied after the queue's own.
    static let extra = QueueMigration(name: "v3-test-registered", sqlite: "CREATE TABLE registered (id TEXT)",
                                      postgres: ["CREATE TABLE registered (id TEXT PRIMARY KEY NOT NULL)"])
    static let names = ["v1 jobs, images, artifacts, workers", "v2-reviews-audit", "v4-job-artifacts", "v5-item-parts", "v3-test-registered"]

    @Test func migratingAgainChangesNothing() async throws {
        try await TestDatabase.withStore(migrations: [Self.extra]) { store in
            await #expect(try store.appliedMigrations() == Self.names)
            try await store.migrate()
            await #expect(try store.appliedMigrations() == Self.names)
            await #expect(try store.read { db in try await db.scalar("SELECT count(*) FROM queue_migrations", as: Int.self) } == 5)
            try await store.write { db in _ = try await db.execute("INSERT INTO registered (id) VALUES ('x')") }
        }
    }

    @Test func theQueueAloneCreatesOnlyItsOwnTables() async throws {
        try await TestDatabase.withStore { store in
            await #expect(try store.appliedMigrations() == Array(Self.names.prefix(4)))
            let tables = try await store.read { db in
                try await db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('api_keys', 'registered')",
                                    as: Int.self)
            }
            #expect(tables == 0)
        }
    }

    @Test func storesMigratingOneNewSchemaAtOnceBothSucceed() async throws {
        let base = try PostgresURL(parsing: try #require(PostgresQueueStore.testURL))
        var url = base
        url.schema = "medinfer_test_concurrent_" + String(UInt32.random(in: 0 ... .max))
        let target = url
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    do {
                        let store = try await PostgresQueueStore(url: target, migrations: [Self.extra])
                        let applied = try await store.appliedMigrations()
                        await store.close()
                        return applied.joined(separator: " | ")
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let store = try await PostgresQueueStore(url: target, migrations: [Self.extra])
        #expect(outcomes == Array(repeating: Self.names.joined(separator: " | "), count: 3))
        await #expect(try store.read { db in try await db.scalar("SELECT count(*) FROM queue_migrations", as: Int.self) } == 5)
        try await store.dropSchemaAndClose()
    }

    @Test func schemaKeepsTheSQLiteConstraints() async throws {
        try await TestDatabase.withStore { store in
            let insertJob = "INSERT INTO jobs (id, seq, status, model_name, model_version, model_sha256, priority, content_sha256, max_attempts, created_at) VALUES (?, ?, ?, 'm', 1, 'sha', ?, 'c', 1, 0)"
            try await store.write { db in _ = try await db.execute(insertJob, ["j1", 1, "queued", 5]) }
            let badPriority = await TestDatabase.errorText { try await store.write { db in _ = try await db.execute(insertJob, ["j2", 2, "queued", 10]) } }
            #expect(badPriority?.contains("SQLSTATE 23514") == true, "\(badPriority ?? "no error")")
            let badState = await TestDatabase.errorText { try await store.write { db in _ = try await db.execute(insertJob, ["j3", 3, "paused", 1]) } }
            #expect(badState?.contains("SQLSTATE 23514") == true, "\(badState ?? "no error")")
            // A running image needs a lease (the CHECK that ties status to lease columns).
            let noLease = await TestDatabase.errorText {
                try await store.write { db in
                    try await db.execute("INSERT INTO images (job_id, idx, blob, byte_count, status, ready_at) VALUES ('j1', 0, 'b', 1, 'running', 0)")
                }
            }
            #expect(noLease?.contains("SQLSTATE 23514") == true, "\(noLease ?? "no error")")
            // Reviews number themselves; deleting the job cascades to its images and reviews.
            let ids = try await store.write { db in
                try await db.execute("INSERT INTO images (job_id, idx, blob, byte_count, status, ready_at) VALUES ('j1', 0, 'b', 1, 'queued', 0)")
                return try await db.fetchAll("INSERT INTO reviews (job_id, agree, reviewer, created_at) VALUES ('j1', 1, 'dr', 0), ('j1', 0, 'dr', 1) RETURNING id")
                    .map { $0["id"] as Int64 }
            }
            #expect(ids == [1, 2])
            try await store.write { db in _ = try await db.execute("DELETE FROM jobs WHERE id = 'j1'") }
            await #expect(try store.read { db in
                try await db.scalar("SELECT (SELECT count(*) FROM images) + (SELECT count(*) FROM reviews) AS n", as: Int.self)
            } == 0)
        }
    }

    @Test func auditLogIsAppendOnly() async throws {
        try await TestDatabase.withStore { store in
            try await store.write { db in
                _ = try await db.execute("INSERT INTO audit_log (seq, at, kind, details, prev_hash, hash) VALUES (1, 0, 'job.submitted', '{}', '', 'h1')")
            }
            for statement in ["UPDATE audit_log SET kind = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
                let error = await TestDatabase.errorText { try await store.write { db in _ = try await db.execute(statement) } }
                #expect(error?.contains("the audit trail is append-only") == true, "\(error ?? "no error")")
            }
            await #expect(try store.read { db in try await db.scalar("SELECT count(*) FROM audit_log", as: Int.self) } == 1)
        }
    }
}
