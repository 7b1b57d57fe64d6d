import Core
import Crypto
import Foundation
@testable import JobQueue
import QueueTestSupport
import Testing

/// Submission, idempotency, backpressure and durability of the bytes, on every store.
@Suite struct JobQueueSubmitTests {
    @Test(arguments: TestQueueStores.kinds) func submitStoresBytesBeforeTheJobAndReportsStatus(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let bytes = Data("scan bytes".utf8)
        let s = try await t.queue.submit([(name: "a.dcm", data: bytes)], model: TemporaryQueue.model, priority: 7)
        #expect(s.created)
        let job = s.job
        #expect(job.status == .queued && job.priority == 7 && job.queuePosition == 0 && job.attempts == 0)
        #expect(job.model.name == "m" && job.model.version == 1)
        #expect(job.images == [JobStatus.Image(index: 0, status: .queued, name: "a.dcm", attempts: 0, error: nil)])
        let sha = SHA256.hash(data: bytes).hexString
        #expect(try Data(contentsOf: t.blobs.url(for: sha)) == bytes)
        #expect(t.files.temporary == 0)
        // A second job waits behind the first; a more urgent one goes ahead of both.
        await #expect(try t.submit().job.queuePosition == 1)
        await #expect(try t.submit(priority: 9).job.queuePosition == 0)
        await #expect(try t.queue.status(job.id).queuePosition == 1)
        await #expect(throws: JobQueueError.notFound(id: "nope")) { try await t.queue.status("nope") }
    }

    @Test(arguments: TestQueueStores.kinds) func idempotentResubmissionAndConflict(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let first = try await t.submit(2, key: "ris-1", seed: "s")
        let again = try await t.submit(2, key: "ris-1", seed: "s")
        #expect(first.created && !again.created && again.job.id == first.job.id)
        await #expect(throws: JobQueueError.idempotencyConflict(key: "ris-1", job: first.job.id)) {
            try await t.submit(2, key: "ris-1", seed: "other")
        }
        await #expect(throws: JobQueueError.idempotencyConflict(key: "ris-1", job: first.job.id)) {
            try await t.submit(2, priority: 6, key: "ris-1", seed: "s")
        }
        await #expect(try t.queue.list().jobs.count == 1)
        await #expect(throws: JobQueueError.invalidArgument("priority must be 0...9, got 10")) { try await t.submit(priority: 10) }
    }

    @Test(arguments: TestQueueStores.kinds) func queueFullCarriesRetryAfterAndCreatesNothing(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind) { $0.maxQueuedImages = 3 }
        defer { t.remove() }
        try await t.submit(2)
        do {
            try await t.submit(2)
            Issue.record("expected queueFull")
        } catch let JobQueueError.queueFull(queued, limit, retry) {
            #expect(queued == 2 && limit == 3 && retry >= 1)
        }
        await #expect(try t.queue.list().jobs.count == 1)
        #expect(t.files.temporary == 0)
    }

    @Test(arguments: TestQueueStores.kinds) func unwritableDataDirectoryIsAClearErrorAndNoJob(kind: QueueStoreKind) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-file-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(throws: JobQueueError.storage(path: file.path, reason: "the data directory is a file, not a folder")) {
            try JobQueue(directory: file)
        }
        // The blob folder goes away under a running queue: the upload fails and no row is written.
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        try FileManager.default.removeItem(at: t.blobs.tmp)
        try Data().write(to: t.blobs.tmp)
        do {
            try await t.submit()
            Issue.record("expected a storage error")
        } catch let JobQueueError.storage(path, reason) {
            #expect(path.hasPrefix(t.blobs.tmp.path) && reason.hasPrefix("cannot create file"), "\(path): \(reason)")
        }
        await #expect(try t.queue.list().jobs.isEmpty)
    }

    @Test(arguments: TestQueueStores.kinds) func listIsNewestFirstWithCursorAndFilter(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        var ids: [String] = []
        for _ in 0..<5 { ids.append(try await t.submit().job.id) }
        try await t.queue.cancel(ids[1])
        let p1 = try await t.queue.list(limit: 2)
        #expect(p1.jobs.map(\.id) == [ids[4], ids[3]] && p1.nextCursor != nil)
        let p2 = try await t.queue.list(limit: 2, cursor: p1.nextCursor)
        #expect(p2.jobs.map(\.id) == [ids[2], ids[1]])
        let p3 = try await t.queue.list(limit: 2, cursor: p2.nextCursor)
        #expect(p3.jobs.map(\.id) == [ids[0]] && p3.nextCursor == nil)
        await #expect(try t.queue.list(state: .cancelled).jobs.map(\.id) == [ids[1]])
        await #expect(try t.queue.jobCounts() == [.queued: 4, .running: 0, .succeeded: 0, .failed: 0, .cancelled: 1])
        await #expect(throws: JobQueueError.invalidArgument("not a cursor of this queue: 'x'")) { try await t.queue.list(cursor: "x") }
    }

    /// Another module's tables (`QueueMigration`) apply after the queue's own, once; opening the data directory
    /// again, with or without them, changes nothing.
    @Test func registeredMigrationsApplyAfterTheQueuesOwn() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-migrations-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let extra = QueueMigration(name: "v3-test-registered", sqlite: "CREATE TABLE registered (id TEXT PRIMARY KEY NOT NULL);",
                                   postgres: [])
        func applied(_ queue: JobQueue) async throws -> [String] {
            try await queue.store.read { tx in try await tx.fetchAll("SELECT identifier FROM grdb_migrations").map { $0["identifier"] as String } }
        }
        let queue = try JobQueue(directory: directory, migrations: [extra])
        #expect(try await applied(queue) == ["v1 jobs, images, artifacts, workers", "v2-reviews-audit", "v4-job-artifacts", "v5-item-parts", "v3-test-registered"])
        try await queue.store.write { tx in _ = try await tx.execute("INSERT INTO registered (id) VALUES ('x')") }
        #expect(try await applied(try JobQueue(directory: directory)).count == 5)
        let again = try JobQueue(directory: directory, migrations: [extra])
        #expect(try await again.store.read { tx in try await tx.scalar("SELECT COUNT(*) AS n FROM registered", as: Int.self) } == 1)
    }

    @Test(arguments: TestQueueStores.kinds) func schemaEnforcesIntegrity(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let id = try await t.submit().job.id
        if kind == .sqlite {
            // GRDB's migration table and the journal mode exist on SQLite only.
            let (migrations, journal) = try await t.queue.store.read { tx in
                (try await tx.fetchAll("SELECT identifier FROM grdb_migrations").map { $0["identifier"] as String },
                 try await tx.scalar("PRAGMA journal_mode", as: String.self))
            }
            #expect(migrations == ["v1 jobs, images, artifacts, workers", "v2-reviews-audit", "v4-job-artifacts", "v5-item-parts"] && journal == "wal")
        }
        await #expect(throws: JobQueueError.self) {
            try await t.queue.store.write { tx in try await tx.execute("UPDATE jobs SET priority = 12 WHERE id = ?", [id]) }
        }
        await #expect(throws: JobQueueError.self) {
            try await t.queue.store.write { tx in try await tx.execute("UPDATE images SET status = 'running' WHERE job_id = ?", [id]) }
        }
        await #expect(throws: JobQueueError.self) {
            try await t.queue.store.write { tx in
                try await tx.execute("INSERT INTO images (job_id, idx, blob, byte_count, status, ready_at) VALUES ('none', 0, 'x', 1, 'queued', 0)")
            }
        }
    }
}
