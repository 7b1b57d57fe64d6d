import Crypto
public import Foundation
public import JobQueue

/// What a key may do. `admin` may do everything, `reviewer` reads every job, `submitter` posts scans and
/// reads its own jobs.
public enum Role: String, Sendable, Codable, CaseIterable {
    case submitter, reviewer, admin

    /// True when this role includes `required`'s rights.
    func satisfies(_ required: Role) -> Bool {
        switch (self, required) {
        case (.admin, _): true
        case (.reviewer, .reviewer), (.reviewer, .submitter): true
        case (.submitter, .submitter): true
        default: false
        }
    }
}

/// A stored key as listed (never the secret).
public struct APIKeyRecord: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var role: Role
    public var createdAt: String
    public var revokedAt: String?
}

/// Why a key operation failed.
public enum APIKeyError: Error, Sendable, CustomStringConvertible {
    /// The database (`location`: the SQLite file or the PostgreSQL URL without its password), or the old
    /// `keys.sqlite` being imported, failed.
    case storage(path: String, reason: String)
    case notFound(id: String)
    case invalidName(String)

    public var description: String {
        switch self {
        case let .storage(path, reason): "\(path): \(reason)"
        case let .notFound(id): "no API key \(id)"
        case let .invalidName(name): "a key name needs 1 to 100 characters, got '\(name)'"
        }
    }
}

/// API keys and job ownership, in the queue's own store (`api_keys` and `job_owners`, migration
/// "v3-api-keys"), so every node sharing a database shares them: a key created on one API server
/// authenticates on every other, and a job submitted through one is owned on all. Creations and
/// revocations are appended to the audit trail in the same transaction (key id, name and role; never the
/// key or its hash).
///
/// A key is `mi_<id>_<64 hex digits of 32 random bytes>`; only its SHA-256 is stored, and a presented key
/// is looked up by its id and compared in constant time.
public final class APIKeyStore: Sendable {
    /// The server's tables in the queue's database: registered with the queue when it is opened
    /// (`openQueue`), applied after the queue's own migrations. Its name is the one it shipped under when the
    /// queue still created it, so databases made before keep it as applied. `job_owners` has no foreign key
    /// to `jobs`: owners outlive nothing, a pruned job's owner row is harmless and keeps the schema the same.
    public static let migration = QueueMigration(name: "v3-api-keys", sqlite: """
        CREATE TABLE api_keys (
          id TEXT PRIMARY KEY NOT NULL,
          name TEXT NOT NULL,
          role TEXT NOT NULL CHECK (role IN ('submitter', 'reviewer', 'admin')),
          sha256 TEXT NOT NULL,                     -- of the whole key, hex; never the key
          created_at INTEGER NOT NULL,              -- ms since 1970
          revoked_at INTEGER
        );
        CREATE TABLE job_owners (
          job_id TEXT PRIMARY KEY NOT NULL,
          key_id TEXT NOT NULL REFERENCES api_keys(id)
        );
        CREATE INDEX job_owners_key ON job_owners(key_id, job_id);
        """, postgres: [
        """
        CREATE TABLE api_keys (
          id TEXT PRIMARY KEY NOT NULL,
          name TEXT NOT NULL,
          role TEXT NOT NULL CHECK (role IN ('submitter', 'reviewer', 'admin')),
          sha256 TEXT NOT NULL,
          created_at BIGINT NOT NULL,
          revoked_at BIGINT
        )
        """,
        """
        CREATE TABLE job_owners (
          job_id TEXT PRIMARY KEY NOT NULL,
          key_id TEXT NOT NULL REFERENCES api_keys(id)
        )
        """,
        "CREATE INDEX job_owners_key ON job_owners(key_id, job_id)",
    ])

    let store: any QueueStore

    /// The keys of `queue`'s store (already migrated when the queue was opened).
    public init(queue: JobQueue) {
        store = queue.store
    }

    /// Creates a key and returns it with its secret, which is never shown again.
    public func create(name: String, role: Role) async throws(APIKeyError) -> (key: String, record: APIKeyRecord) {
        guard (1...100).contains(name.count) else { throw .invalidName(name) }
        let made = Self.newKey(name: name, role: role)
        try await write { tx in try await Self.insert(tx, made) }
        return (made.key, made.record)
    }

    /// Creates an admin key named "admin" when the database has no key at all (its first start); nil
    /// otherwise. Once per database, not per node: the check and the insert are one serializable
    /// transaction, so of several nodes starting at once exactly one creates it.
    public func bootstrapAdminKey() async throws(APIKeyError) -> String? {
        let made = Self.newKey(name: "admin", role: .admin)
        let created = try await write { tx in
            guard try await tx.scalar("SELECT COUNT(*) AS n FROM api_keys", as: Int64.self) == 0 else { return false }
            try await Self.insert(tx, made)
            return true
        }
        return created ? made.key : nil
    }

    /// Every key, oldest first.
    public func list() async throws(APIKeyError) -> [APIKeyRecord] {
        try await read { tx in
            try await tx.fetchAll("SELECT id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at, id")
                .map(Self.record)
        }
    }

    /// Revokes a key: it authenticates no more.
    public func revoke(id: String) async throws(APIKeyError) {
        let now = Timestamp.now()
        let revoked = try await write { tx -> Bool in
            guard let row = try await tx.fetchOne("SELECT name, role FROM api_keys WHERE id = ? AND revoked_at IS NULL", [id]) else {
                return false
            }
            try await tx.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?", [now, id])
            try await AuditTrail.append(tx, AuditEvent(kind: .keyRevoked, subject: id,
                                                 details: ["name": row["name"] as String, "role": row["role"] as String]),
                                  now: now)
            return true
        }
        guard revoked else { throw .notFound(id: id) }
    }

    /// The live key `presented` belongs to, or nil.
    func authenticate(_ presented: String) async throws(APIKeyError) -> APIKeyRecord? {
        let parts = presented.split(separator: "_")
        guard parts.count == 3, parts[0] == "mi" else { return nil }
        let id = String(parts[1])
        let row = try await read { tx in
            try await tx.fetchOne("SELECT id, name, role, sha256, created_at, revoked_at FROM api_keys WHERE id = ? AND revoked_at IS NULL",
                            [id])
        }
        guard let row else { return nil }
        let stored = Array((row["sha256"] as String).utf8)
        let given = Array(Self.digest(presented).utf8)
        guard stored.count == given.count else { return nil }
        var difference: UInt8 = 0
        for (a, b) in zip(stored, given) { difference |= a ^ b }
        guard difference == 0 else { return nil }
        return Self.record(row)
    }

    /// Records, inside the transaction that creates `job` (`JobQueue.submit(…, recording:)`), that `key`
    /// submitted it: a job and its owner commit together, so a crash never leaves a submitter a 404 for its
    /// own job.
    static func recordOwner(_ tx: any SQLTransaction, job: String, key: String) async throws {
        try await tx.execute("INSERT INTO job_owners (job_id, key_id) VALUES (?, ?) ON CONFLICT (job_id) DO NOTHING", [job, key])
    }

    /// Records that `key` submitted `job` (first submitter wins: an idempotent resubmission keeps the owner).
    func recordOwner(job: String, key: String) async throws(APIKeyError) {
        try await write { tx in try await Self.recordOwner(tx, job: job, key: key) }
    }

    /// The key id that submitted `job`, if known.
    func owner(job: String) async throws(APIKeyError) -> String? {
        try await read { tx in try await tx.scalar("SELECT key_id FROM job_owners WHERE job_id = ?", [job], as: String.self) }
    }

    /// The jobs `key` owns, among `ids`.
    func owned(by key: String, among ids: [String]) async throws(APIKeyError) -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try await read { tx in
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
            let rows = try await tx.fetchAll("SELECT job_id FROM job_owners WHERE key_id = ? AND job_id IN (\(marks))",
                                       [key] + SQLArguments(ids.map { .text($0) }))
            return Set(rows.map { $0["job_id"] as String })
        }
    }

    /// A key about to be stored: made outside the transaction that stores it (a PostgreSQL transaction may
    /// run again after a conflict, and must store the same key each time).
    struct NewKey {
        let key: String
        let hash: String
        let record: APIKeyRecord
        /// `record.createdAt` in milliseconds since 1970.
        let createdMs: Int64
    }

    static func newKey(name: String, role: Role) -> NewKey {
        let id = hex(randomBytes(6))
        let key = "mi_\(id)_\(hex(randomBytes(32)))"
        let now = Timestamp.now()
        return NewKey(key: key, hash: digest(key),
                      record: APIKeyRecord(id: id, name: name, role: role, createdAt: Timestamp.iso8601(now)), createdMs: now)
    }

    /// Inserts a new key and its `key.created` audit row.
    static func insert(_ tx: any SQLTransaction, _ made: NewKey) async throws {
        let record = made.record
        try await tx.execute("INSERT INTO api_keys (id, name, role, sha256, created_at) VALUES (?, ?, ?, ?, ?)",
                       [record.id, record.name, record.role.rawValue, made.hash, made.createdMs])
        try await AuditTrail.append(tx, AuditEvent(kind: .keyCreated, subject: record.id,
                                             details: ["name": record.name, "role": record.role.rawValue]),
                              now: made.createdMs)
    }

    static func record(_ row: SQLRow) -> APIKeyRecord {
        APIKeyRecord(id: row["id"], name: row["name"], role: Role(rawValue: row["role"]) ?? .submitter,
                     createdAt: Timestamp.iso8601(row["created_at"]),
                     revokedAt: (row["revoked_at"] as Int64?).map(Timestamp.iso8601))
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) async throws -> T) async throws(APIKeyError) -> T {
        do { return try await store.read(body) } catch { throw .storage(path: store.location, reason: error.description) }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) async throws -> T) async throws(APIKeyError) -> T {
        do { return try await store.write(body) } catch { throw .storage(path: store.location, reason: error.description) }
    }

    static func digest(_ key: String) -> String { hex(Array(SHA256.hash(data: Data(key.utf8)))) }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func randomBytes(_ n: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
