import Crypto
import Foundation
import GRDB
import JobQueue
import JobQueuePostgres
import QueueTestSupport
@testable import Server
import Synchronization
import Testing

/// Keys and job owners in the queue's store, on every store kind: what one node writes, every node sharing
/// the database reads; an old `keys.sqlite` is imported once.
@Suite struct APIKeyStoreTests {
    /// A fresh store of `kind` in a temporary directory.
    static func makeQueue(_ kind: QueueStoreKind) async throws -> TestQueue {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-keys-\(UUID().uuidString)")
        return try await TestQueueStores.makeQueue(kind: kind, directory: directory, migrations: serverMigrations)
    }

    /// Another node on the same database, with a connection (pool) of its own; `close` releases it.
    static func otherNode(of t: TestQueue) async throws -> (queue: JobQueue, close: @Sendable () -> Void) {
        switch t.kind {
        case .memory:
            return (JobQueue(store: t.queue.store, blobs: t.blobs), {})  // one database object, shared as a file would be
        case .sqlite:
            return (try JobQueue(directory: t.directory, migrations: serverMigrations), {})
        case .postgres:
            let first = try #require(t.queue.store as? PostgresQueueStore)
            let store = try await PostgresQueueStore(url: first.url, migrations: serverMigrations)
            return (JobQueue(store: store, blobs: t.blobs), { Task { await store.close() } })
        }
    }

    @Test(arguments: TestQueueStores.kinds) func createAuthenticateRevokeAudited(kind: QueueStoreKind) async throws {
        let t = try await Self.makeQueue(kind)
        defer { t.remove() }
        let keys = APIKeyStore(queue: t.queue)
        let made = try await keys.create(name: "router", role: .submitter)
        #expect(made.key.hasPrefix("mi_\(made.record.id)_") && made.key.count == 3 + 12 + 1 + 64)
        await #expect(try keys.authenticate(made.key) == made.record)
        let wrong = String(made.key.dropLast()) + (made.key.hasSuffix("0") ? "1" : "0")
        await #expect(try keys.authenticate(wrong) == nil)
        await #expect(try keys.list() == [made.record])
        // Only the hash is stored.
        let stored = try await t.queue.store.read { tx in try await tx.scalar("SELECT sha256 FROM api_keys", as: String.self) }
        #expect(stored == SHA256.hash(data: Data(made.key.utf8)).map { String(format: "%02x", $0) }.joined())

        try await keys.revoke(id: made.record.id)
        await #expect(try keys.authenticate(made.key) == nil)
        await #expect(try keys.list().first?.revokedAt != nil)
        await #expect(throws: APIKeyError.self) { try await keys.revoke(id: made.record.id) }
        await #expect(throws: APIKeyError.self) { try await keys.create(name: "", role: .admin) }

        let audit = try await t.queue.audit.list()
        #expect(audit.map(\.kind) == [.keyCreated, .keyRevoked])
        #expect(audit.allSatisfy { $0.subject == made.record.id && $0.details == ["name": "router", "role": "submitter"] })
        await #expect(try t.queue.audit.verify().problem == nil)
    }

    /// A key made through one node authenticates on another; ownership and revocation cross over too.
    @Test(arguments: TestQueueStores.kinds) func twoNodesShareKeysAndOwners(kind: QueueStoreKind) async throws {
        let t = try await Self.makeQueue(kind)
        defer { t.remove() }
        let other = try await Self.otherNode(of: t)
        defer { other.close() }
        let a = APIKeyStore(queue: t.queue)
        let b = APIKeyStore(queue: other.queue)

        let made = try await a.create(name: "ris", role: .reviewer)
        await #expect(try b.authenticate(made.key)?.id == made.record.id)
        try await b.recordOwner(job: "job-1", key: made.record.id)
        try await a.recordOwner(job: "job-1", key: "someone-else")  // the first submitter stays the owner
        await #expect(try a.owner(job: "job-1") == made.record.id)
        await #expect(try a.owned(by: made.record.id, among: ["job-1", "job-2"]) == ["job-1"])
        await #expect(try a.owner(job: "job-2") == nil)
        try await b.revoke(id: made.record.id)
        await #expect(try a.authenticate(made.key) == nil)
    }

    /// Nodes starting at once on a new database: exactly one creates the admin key.
    @Test(arguments: TestQueueStores.kinds) func adminKeyOncePerDatabase(kind: QueueStoreKind) async throws {
        let t = try await Self.makeQueue(kind)
        defer { t.remove() }
        let other = try await Self.otherNode(of: t)
        defer { other.close() }
        let nodes = [APIKeyStore(queue: t.queue), APIKeyStore(queue: other.queue)]
        // Six first starts at once, three per node: exactly one creates the admin key.
        let outcomes = await withTaskGroup(of: Result<String?, APIKeyError>.self) { group in
            for i in 0..<6 {
                group.addTask {
                    do throws(APIKeyError) { return .success(try await nodes[i % 2].bootstrapAdminKey()) } catch { return .failure(error) }
                }
            }
            var all: [Result<String?, APIKeyError>] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        let created = outcomes.compactMap { try? $0.get() }
        let failures = outcomes.compactMap { outcome -> String? in
            if case .failure(let error) = outcome { return "\(error)" } else { return nil }
        }
        #expect(failures == [])
        let keys = created.compactMap { $0 }
        #expect(keys.count == 1)
        await #expect(try nodes[0].list().map(\.role) == [.admin])
        await #expect(try nodes[1].authenticate(try #require(keys.first))?.role == .admin)
        await #expect(try nodes[1].bootstrapAdminKey() == nil)
    }

    /// A `keys.sqlite` as the previous release wrote it: its keys (hashes, revocations, times) and owners
    /// are imported into an empty database once, the file renamed; a second file finds keys and is skipped.
    @Test(arguments: TestQueueStores.kinds) func importsTheOldKeyFile(kind: QueueStoreKind) async throws {
        let t = try await Self.makeQueue(kind)
        defer { t.remove() }
        try FileManager.default.createDirectory(at: t.directory, withIntermediateDirectories: true)
        let live = "mi_0123456789ab_" + String(repeating: "ab", count: 32)
        let revoked = "mi_ba9876543210_" + String(repeating: "cd", count: 32)
        let path = t.directory.appendingPathComponent("keys.sqlite").path
        try Self.writeOldKeyFile(path: path, keys: [
            ("0123456789ab", "router", "submitter", live, "2025-01-02T03:04:05Z", nil),
            ("ba9876543210", "old", "admin", revoked, "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"),
        ], owners: [("job-1", "0123456789ab")])

        let keys = APIKeyStore(queue: t.queue)
        let outcome = try await keys.importLegacyKeys(from: t.directory)
        #expect(outcome == .imported(keys: 2, owners: 1, renamedTo: path + ".imported"))
        #expect(!FileManager.default.fileExists(atPath: path) && FileManager.default.fileExists(atPath: path + ".imported"))
        await #expect(try keys.list() == [
            APIKeyRecord(id: "ba9876543210", name: "old", role: .admin, createdAt: "2025-01-01T00:00:00.000Z",
                         revokedAt: "2025-02-01T00:00:00.000Z"),
            APIKeyRecord(id: "0123456789ab", name: "router", role: .submitter, createdAt: "2025-01-02T03:04:05.000Z"),
        ])
        await #expect(try keys.authenticate(live)?.name == "router")
        await #expect(try keys.authenticate(revoked) == nil)
        await #expect(try keys.owner(job: "job-1") == "0123456789ab")
        await #expect(try keys.bootstrapAdminKey() == nil)
        await #expect(try keys.importLegacyKeys(from: t.directory) == .noFile)

        // Another node's file, once the database has keys: left alone.
        try Self.writeOldKeyFile(path: path, keys: [("cccccccccccc", "x", "admin", "mi_cccccccccccc_00", "2025-01-01T00:00:00Z", nil)],
                                 owners: [])
        await #expect(try keys.importLegacyKeys(from: t.directory) == .skipped(path: path))
        #expect(FileManager.default.fileExists(atPath: path))
        await #expect(try keys.list().count == 2)
    }

    /// A file with the previous release's schema (migration "v1 api keys, job owners", ISO 8601 times).
    static func writeOldKeyFile(path: String, keys: [(String, String, String, String, String, String?)],
                                owners: [(String, String)]) throws {
        let database = try DatabaseQueue(path: path)
        try database.write { db in
            try db.execute(sql: """
                CREATE TABLE api_keys (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL,
                  role TEXT NOT NULL CHECK (role IN ('submitter', 'reviewer', 'admin')), sha256 TEXT NOT NULL,
                  created_at TEXT NOT NULL, revoked_at TEXT);
                CREATE TABLE job_owners (job_id TEXT PRIMARY KEY NOT NULL, key_id TEXT NOT NULL REFERENCES api_keys(id));
                """)
            for (id, name, role, key, created, revoked) in keys {
                try db.execute(sql: "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [id, name, role, APIKeyStore.digest(key), created, revoked])
            }
            for (job, key) in owners {
                try db.execute(sql: "INSERT INTO job_owners VALUES (?, ?)", arguments: [job, key])
            }
        }
        try database.close()
    }
}
