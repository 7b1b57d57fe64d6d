public import Foundation
import GRDB
import JobQueue

/// What `importLegacyKeys(from:)` did with a data directory's `keys.sqlite` (where keys lived before
/// they moved into the queue's database).
public enum LegacyKeyImport: Sendable, Equatable, CustomStringConvertible {
    /// There is no `keys.sqlite`.
    case noFile
    /// Its rows were copied and the file renamed to `renamedTo`.
    case imported(keys: Int, owners: Int, renamedTo: String)
    /// The database already has keys (another node imported its own file, or keys were made since), so
    /// this file was left untouched.
    case skipped(path: String)

    public var description: String {
        switch self {
        case .noFile: "no keys.sqlite to import"
        case let .imported(keys, owners, renamedTo):
            "imported \(keys) API keys and \(owners) job owners from keys.sqlite into the queue's database; the old file is now \(renamedTo)"
        case let .skipped(path):
            "\(path) was not imported: the queue's database already has API keys (the file is unused; remove it once you no longer need it)"
        }
    }
}

extension APIKeyStore {
    /// Imports `<directory>/keys.sqlite` when it exists and the database has no keys and no job owners yet:
    /// its keys (hashes, roles, creation and revocation times) and job owners, in one transaction, then
    /// renames the file to `keys.sqlite.imported`. Safe when several processes of one data directory start
    /// at once: the emptiness check is inside the transaction, so one imports and the others skip.
    public func importLegacyKeys(from directory: URL) async throws(APIKeyError) -> LegacyKeyImport {
        let path = directory.appendingPathComponent("keys.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else { return .noFile }
        let (keys, owners) = try Self.readLegacy(path: path)
        let imported = try await write { tx -> Bool in
            let existing = try await tx.scalar("SELECT (SELECT COUNT(*) FROM api_keys) + (SELECT COUNT(*) FROM job_owners) AS n",
                                         as: Int64.self)
            guard existing == 0 else { return false }
            for key in keys {
                try await tx.execute("INSERT INTO api_keys (id, name, role, sha256, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)", key)
            }
            for owner in owners {
                try await tx.execute("INSERT INTO job_owners (job_id, key_id) VALUES (?, ?)", owner)
            }
            return true
        }
        guard imported else { return .skipped(path: path) }
        let renamed = path + ".imported"
        // Another process of the same directory may have renamed it already.
        if rename(path, renamed) != 0, errno != ENOENT {
            throw .storage(path: path, reason: "imported, but cannot rename it to \(renamed): \(String(cString: strerror(errno)))")
        }
        return .imported(keys: keys.count, owners: owners.count, renamedTo: renamed)
    }

    /// The rows of an old `keys.sqlite` (schema "v1 api keys, job owners": ISO 8601 times), as arguments
    /// of the inserts into the new tables (milliseconds since 1970).
    static func readLegacy(path: String) throws(APIKeyError) -> (keys: [SQLArguments], owners: [SQLArguments]) {
        do {
            var configuration = GRDB.Configuration()
            configuration.readonly = true
            let database = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? database.close() }
            return try database.read { db in
                let keys = try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY created_at, id").map { row -> SQLArguments in
                    let id: String = row["id"]
                    let revoked = try (row["revoked_at"] as String?).map { text in try milliseconds(text, key: id, path: path) }
                    return [id, row["name"] as String, row["role"] as String, row["sha256"] as String,
                            try milliseconds(row["created_at"], key: id, path: path), revoked]
                }
                let owners = try Row.fetchAll(db, sql: "SELECT job_id, key_id FROM job_owners ORDER BY job_id").map { row -> SQLArguments in
                    [row["job_id"] as String, row["key_id"] as String]
                }
                return (keys, owners)
            }
        } catch let error as APIKeyError {
            throw error
        } catch {
            throw .storage(path: path, reason: "cannot read the old key database: \(error)")
        }
    }

    /// An ISO 8601 time as `ISO8601DateFormatter` wrote it (whole seconds), or with milliseconds.
    static func milliseconds(_ text: String, key: String, path: String) throws(APIKeyError) -> Int64 {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions.insert(.withFractionalSeconds)
        guard let date = plain.date(from: text) ?? fractional.date(from: text) else {
            throw .storage(path: path, reason: "key \(key): '\(text)' is not an ISO 8601 time")
        }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
