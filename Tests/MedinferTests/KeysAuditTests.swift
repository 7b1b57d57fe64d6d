import Foundation
import TestSupport
import Testing

/// `medinfer keys create|revoke` append `key.created` / `key.revoked` to the audit trail of the same data
/// directory: the key's id, name and role, never the key or its hash.
@Suite struct KeysAuditTests {
    @Test func keyCreationAndRevocationAreAudited() throws {
        let data = CLI.temporaryFile("data")
        defer { try? FileManager.default.removeItem(at: data) }
        var r = try CLI.run(["keys", "create", "--role", "reviewer", "--name", "dr-smith", "--json", "--data-dir", data.path])
        #expect(r.status == 0, "\(r.stderr)")
        let created = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let key = try #require(created["key"] as? String)
        let id = try #require((created["record"] as? [String: Any])?["id"] as? String)
        r = try CLI.run(["keys", "revoke", id, "--data-dir", data.path])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["keys", "revoke", id, "--data-dir", data.path])
        #expect(r.status == 1 && r.stderr == "medinfer: no API key \(id)\n", "\(r.stderr)")

        r = try CLI.run(["audit", "list", "--json", "--data-dir", data.path])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["kind"] as? String } == ["key.created", "key.revoked"], "\(r.stdout)")
        for row in rows {
            #expect(row["subject"] as? String == id && row["job"] == nil)
            #expect(row["details"] as? [String: String] == ["name": "dr-smith", "role": "reviewer"])
        }
        // Neither the key nor its secret part is in the trail.
        let secret = String(key.split(separator: "_").last ?? "")
        #expect(secret.count == 64 && !r.stdout.contains(secret) && !r.stdout.contains(key))
        r = try CLI.run(["audit", "list", "--data-dir", data.path])
        #expect(r.stdout.contains("key.created") && r.stdout.contains("key.revoked"), "\(r.stdout)")
        r = try CLI.run(["audit", "verify", "--data-dir", data.path])
        #expect(r.status == 0 && r.stdout.hasPrefix("2 rows, chain intact\n"), "\(r.stdout)\(r.stderr)")
    }
}
