import Foundation
import JobQueue
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
        let text = "postgresql://medinfer:s3cr%40t@db.example:6543/queue?sslmode=require&password=other"
        guard case .postgres(let url) = try QueueDatabase(parsing: text) else { Issue.record("not postgres"); return }
        #expect(url.url == text)
        #expect(url.host == "db.example" && url.port == 6543 && url.user == "medinfer" && url.database == "queue")
        #expect(url.description == "postgres://medinfer:***@db.example:6543/queue?sslmode=require&password=***")
        let location = QueueLocation(dataDirectory: URL(fileURLWithPath: "/d"), database: .postgres(url))
        #expect(!location.description.contains("s3cr") && !location.description.contains("other"))
        #expect(location.blobs.path == "/d/blobs")

        guard case .postgres(let plain) = try QueueDatabase(parsing: "postgres://db") else { Issue.record("not postgres"); return }
        #expect(plain.port == 5432 && plain.user == nil && plain.database == nil)
        #expect(plain.description == "postgres://db:5432/")
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

    @Test func openQueueOpensTheEmbeddedQueueAndRefusesWhatThisBuildCannotOpen() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-location-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data", isDirectory: true)
        let queue = try openQueue(QueueLocation(dataDirectory: data, blobDirectory: data.appendingPathComponent("blobs")))
        #expect(queue.directory == data)
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("queue.sqlite").path))

        let database = try QueueDatabase(parsing: "postgres://u:hunter2@h/db")
        #expect(throws: QueueLocationError.self) { try openQueue(QueueLocation(dataDirectory: data, database: database)) }
        do { _ = try openQueue(QueueLocation(dataDirectory: data, database: database)) } catch {
            #expect(error.description.contains("postgres://u:***@h:5432/db") && !error.description.contains("hunter2"), "\(error)")
        }
    }
}
