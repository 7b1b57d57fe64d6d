import Crypto
public import Foundation
import GRDB
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
    case storage(path: String, reason: String)
    case notFound(id: String)
    case invalidName(String)
    /// The key change was made but its audit row could not be appended.
    case audit(String)

    public var description: String {
        switch self {
        case let .audit(reason): "the key change could not be appended to the audit trail: \(reason)"
        case let .storage(path, reason): "\(path): \(reason)"
        case let .notFound(id): "no API key \(id)"
        case let .invalidName(name): "a key name needs 1 to 100 characters, got '\(name)'"
        }
    }
}

/// API keys and job ownership in `<data>/keys.sqlite`. A file of its own rather than a migration in the
/// queue's database: the queue's migrator is internal to `JobQueue` (and other branches add migrations to
/// it), while keys are the HTTP layer's concern; nothing needs a transaction across both.
///
/// A key is `mi_<id>_<64 hex digits of 32 random bytes>`; only its SHA-256 is stored, and a presented key
/// is looked up by its id and compared in constant time.
public final class APIKeyStore: Sendable {
    let database: DatabaseQueue
    let path: String
    /// Where creations and revocations are recorded (key id, name and role; never the key or its hash).
    let audit: AuditTrail?

    /// Opens (creating when needed) the store in `directory`; with `audit` (the trail of the same data
    /// directory's queue), every key created or revoked is appended to it.
    public init(directory: URL, audit: AuditTrail? = nil) throws(APIKeyError) {
        self.audit = audit
        path = directory.appendingPathComponent("keys.sqlite").path
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var config = GRDB.Configuration()
            config.busyMode = .timeout(10)
            database = try DatabaseQueue(path: path, configuration: config)
            try Self.migrator.migrate(database)
        } catch {
            throw .storage(path: path, reason: "cannot open the key database: \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 api keys, job owners") { db in
            try db.execute(sql: """
                CREATE TABLE api_keys (
                  id TEXT PRIMARY KEY NOT NULL,
                  name TEXT NOT NULL,
                  role TEXT NOT NULL CHECK (role IN ('submitter', 'reviewer', 'admin')),
                  sha256 TEXT NOT NULL,
                  created_at TEXT NOT NULL,
                  revoked_at TEXT
                );
                CREATE TABLE job_owners (
                  job_id TEXT PRIMARY KEY NOT NULL,
                  key_id TEXT NOT NULL REFERENCES api_keys(id)
                );
                """)
        }
        return migrator
    }

    /// Creates a key and returns it with its secret, which is never shown again.
    public func create(name: String, role: Role) throws(APIKeyError) -> (key: String, record: APIKeyRecord) {
        guard (1...100).contains(name.count) else { throw .invalidName(name) }
        let id = Self.hex(Self.randomBytes(6))
        let key = "mi_\(id)_\(Self.hex(Self.randomBytes(32)))"
        let record = APIKeyRecord(id: id, name: name, role: role, createdAt: ISO8601DateFormatter().string(from: Date()))
        try write { db in
            try db.execute(sql: "INSERT INTO api_keys (id, name, role, sha256, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [id, name, role.rawValue, Self.digest(key), record.createdAt])
        }
        try appendAudit(AuditEvent(kind: .keyCreated, subject: id, details: ["name": name, "role": role.rawValue]))
        return (key, record)
    }

    /// Creates an admin key named "admin" when the store has no key at all (first start); nil otherwise.
    public func bootstrapAdminKey() throws(APIKeyError) -> String? {
        let count = try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM api_keys") ?? 0 }
        guard count == 0 else { return nil }
        return try create(name: "admin", role: .admin).key
    }

    /// Every key, newest last.
    public func list() throws(APIKeyError) -> [APIKeyRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY created_at, id").map { row in
                APIKeyRecord(id: row["id"], name: row["name"], role: Role(rawValue: row["role"]) ?? .submitter,
                             createdAt: row["created_at"], revokedAt: row["revoked_at"])
            }
        }
    }

    /// Revokes a key: it authenticates no more.
    public func revoke(id: String) throws(APIKeyError) {
        let revoked = try write { db -> Row? in
            guard let row = try Row.fetchOne(db, sql: "SELECT name, role FROM api_keys WHERE id = ? AND revoked_at IS NULL",
                                             arguments: [id]) else { return nil }
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ?",
                           arguments: [ISO8601DateFormatter().string(from: Date()), id])
            return row
        }
        guard let revoked else { throw .notFound(id: id) }
        try appendAudit(AuditEvent(kind: .keyRevoked, subject: id, details: ["name": revoked["name"] as String, "role": revoked["role"] as String]))
    }

    /// Appends a key event to the audit trail, when there is one. The key database and the queue's are
    /// separate files, so this follows the change it records (a failure is reported, the change stays).
    func appendAudit(_ event: AuditEvent) throws(APIKeyError) {
        guard let audit else { return }
        do { try audit.append(event) } catch { throw .audit(error.description) }
    }

    /// The live key `presented` belongs to, or nil.
    func authenticate(_ presented: String) throws(APIKeyError) -> APIKeyRecord? {
        let parts = presented.split(separator: "_")
        guard parts.count == 3, parts[0] == "mi" else { return nil }
        let id = String(parts[1])
        let row = try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE id = ? AND revoked_at IS NULL", arguments: [id])
        }
        guard let row else { return nil }
        let stored = Array((row["sha256"] as String).utf8)
        let given = Array(Self.digest(presented).utf8)
        guard stored.count == given.count else { return nil }
        var difference: UInt8 = 0
        for (a, b) in zip(stored, given) { difference |= a ^ b }
        guard difference == 0 else { return nil }
        return APIKeyRecord(id: id, name: row["name"], role: Role(rawValue: row["role"]) ?? .submitter,
                            createdAt: row["created_at"], revokedAt: nil)
    }

    /// Records that `key` submitted `job` (first submitter wins: an idempotent resubmission keeps the owner).
    func recordOwner(job: String, key: String) throws(APIKeyError) {
        try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO job_owners (job_id, key_id) VALUES (?, ?)", arguments: [job, key])
        }
    }

    /// The key id that submitted `job`, if known.
    func owner(job: String) throws(APIKeyError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT key_id FROM job_owners WHERE job_id = ?", arguments: [job]) }
    }

    /// The jobs `key` owns, among `ids`.
    func owned(by key: String, among ids: [String]) throws(APIKeyError) -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try read { db in
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
            return Set(try String.fetchAll(db, sql: "SELECT job_id FROM job_owners WHERE key_id = ? AND job_id IN (\(marks))",
                                           arguments: StatementArguments([key] + ids)))
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(APIKeyError) -> T {
        do { return try database.read(body) } catch { throw .storage(path: path, reason: "\(error)") }
    }

    func write<T>(_ body: (Database) throws -> T) throws(APIKeyError) -> T {
        do { return try database.write(body) } catch { throw .storage(path: path, reason: "\(error)") }
    }

    static func digest(_ key: String) -> String { hex(Array(SHA256.hash(data: Data(key.utf8)))) }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func randomBytes(_ n: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
