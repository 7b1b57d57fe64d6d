import Foundation
import JobQueue
import JobQueuePostgres
import Server
import Testing

/// `--database` / `MEDINFER_DATABASE` and `--blob-dir`: parsed, checked, never printing a password, and
/// opened by `openQueue`.
@Suite struct QueueLocationTests {
    @Test func sqliteOrNothingIsTheEmbeddedDatabase() throws {
        for text in [nil, "", "sqlite", "SQLite", " sqlite "] {
            #expect(try QueueDatabase(parsing: text) == .embedded, "\(String(describing: text))")
        }
    }

    @Test func aPostgresURLIsParsedAndShownWithoutItsPassword() throws {
        let text = "postgresql://medinfer:s3cr%40t@db.example:6543/queue?sslmode=disable"
        guard case .postgres(let url) = try QueueDatabase(parsing: text) else { Issue.record("not postgres"); return }
        #expect(url.host == "db.example" && url.port == 6543 && url.user == "medinfer" && url.database == "queue")
        #expect(url.password == "s3cr@t")
        #expect(url.redacted == "postgres://medinfer@db.example:6543/queue")
        let location = QueueLocation(dataDirectory: URL(fileURLWithPath: "/d"), database: .postgres(url))
        #expect(!location.description.contains("s3cr"))
        #expect(location.blobs.path == "/d/blobs")

        guard case .postgres(let plain) = try QueueDatabase(parsing: "postgres://u@db/q") else { Issue.record("not postgres"); return }
        #expect(plain.port == 5432 && plain.password == nil && plain.database == "q")
    }

    @Test func malformedURLsAreRefusedWithoutEchoingThem() {
        let cases = ["mysql://u:hunter2@h/db", "postgres:hunter2", "postgres://u:hunter2@/db", "postgres://u:hunter2@h:0/db",
                     "postgres://u:hunter2@h/db/extra", "postgres://u:hunter2@h:port/db", "hunter2"]
        for text in cases {
            do {
                _ = try QueueDatabase(parsing: text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(!error.description.contains("hunter2"), "\(error)")
                #expect(error.description.hasPrefix("database: "), "\(error)")
            }
        }
        do {
            _ = try ServerConfiguration(environment: ["MEDINFER_DATABASE": "mysql://u:hunter2@h/db"])
            Issue.record("accepted")
        } catch {
            #expect(error.variable == "MEDINFER_DATABASE" && !error.description.contains("hunter2"), "\(error)")
        }
    }

    @Test func openQueueOpensTheEmbeddedQueueAndSaysWhichDatabaseItCouldNotReach() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-location-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data", isDirectory: true)
        let shared = folder.appendingPathComponent("shared-blobs", isDirectory: true)
        let queue = try await openQueue(QueueLocation(dataDirectory: data, blobDirectory: shared))
        #expect(queue.store.location == data.appendingPathComponent("queue.sqlite").path)
        #expect(queue.blobs.location == shared.path)
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("queue.sqlite").path))

        // Nothing listens on port 1: refused at once, named without its password.
        let database = try QueueDatabase(parsing: "postgres://u:hunter2@127.0.0.1:1/db")
        await #expect(throws: QueueLocationError.self) { try await openQueue(QueueLocation(dataDirectory: data, database: database)) }
        do { _ = try await openQueue(QueueLocation(dataDirectory: data, database: database)) } catch {
            #expect(error.description.contains("127.0.0.1:1") && !error.description.contains("hunter2"), "\(error)")
        }
    }
}
