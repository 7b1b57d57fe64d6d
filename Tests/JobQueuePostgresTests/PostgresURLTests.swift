import JobQueue
import JobQueuePostgres
import Testing

@Suite("PostgreSQL URLs")
struct PostgresURLTests {
    @Test func parsesEveryPart() throws {
        let url = try PostgresURL(parsing: "postgres://alice:s3cret@db.example:6543/medinfer?schema=queue_a&sslmode=disable")
        #expect(url == PostgresURL(host: "db.example", port: 6543, user: "alice", password: "s3cret", database: "medinfer", schema: "queue_a"))
        #expect(url.redacted == "postgres://alice@db.example:6543/medinfer?schema=queue_a")
    }

    @Test func acceptsPostgresqlSchemeAndDefaults() throws {
        let url = try PostgresURL(parsing: "postgresql://bob@localhost/jobs")
        #expect(url == PostgresURL(host: "localhost", port: 5432, user: "bob", password: nil, database: "jobs", schema: nil))
    }

    @Test(arguments: [
        ("mysql://u:hunter2pw@h/db", PostgresURLError.unsupportedScheme("mysql")),
        ("postgres://u:hunter2pw@h", .missingDatabase),
        ("postgres://:hunter2pw@h/db", .missingUser),
        ("postgres://u:hunter2pw@h:0/db", .invalidPort("0")),
        ("postgres://u:hunter2pw@h/db?schema=bad-name", .invalidSchema("bad-name")),
        ("postgres://u:hunter2pw@h/db?schema=x%22;drop", .invalidSchema("x\";drop")),
        ("postgres://u:hunter2pw@h/db?sslmode=require", .tlsUnsupported("require")),
        ("postgres://u:hunter2pw@h/db?timeout=3", .unknownParameter("timeout")),
        ("postgres://u:hunter2pw@h:99999999999999999999/db", .invalidPort("99999999999999999999")),
        ("postgres://u:hunter2pw@h:54x/db", .malformed),
        ("postgres://u:hunter2pw@h/db?schema=a%20b", .invalidSchema("a b")),
    ])
    func refusesBadURLsWithoutThePassword(text: String, expected: PostgresURLError) {
        #expect(throws: expected) { try PostgresURL(parsing: text) }
        do {
            _ = try PostgresURL(parsing: text)
        } catch {
            #expect(!error.description.contains("hunter2pw"))
        }
    }

    @Test func tlsErrorSaysOnlyDisableIsSupported() {
        #expect(PostgresURLError.tlsUnsupported("require").description.contains("only sslmode=disable"))
    }

    @Test func storeRefusesABadURLAsInvalidArgument() async {
        await #expect(throws: JobQueueError.invalidArgument(PostgresURLError.tlsUnsupported("verify-full").description)) {
            try await PostgresQueueStore(url: "postgres://u:hunter2pw@127.0.0.1/db?sslmode=verify-full")
        }
    }

    @Test func connectionFailureNamesTheServerButNotThePassword() async throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused.
        let error = await #expect(throws: JobQueueError.self) {
            try await PostgresQueueStore(url: "postgres://u:hunter2pw@127.0.0.1:1/db")
        }
        let text = try #require(error).description
        #expect(text.contains("postgres://u@127.0.0.1:1/db"))
        #expect(!text.contains("hunter2pw"))
    }
}
