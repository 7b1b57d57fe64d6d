import Foundation
import TestSupport
import Testing

/// `--database`, `--blob-dir` and `serve --role` as a user meets them: a clear refusal, never the password.
@Suite struct QueueLocationCommandTests {
    @Test func aDatabaseURLIsCheckedAndItsPasswordNeverPrinted() throws {
        let data = CLI.temporaryFile("data")
        defer { try? FileManager.default.removeItem(at: data) }
        let malformed = try CLI.run(["jobs", "list", "--data-dir", data.path, "--database", "mysql://u:hunter2@h/db"])
        #expect(malformed.status == 1 && malformed.stderr.contains("database: expected 'sqlite' or a PostgreSQL URL"), "\(malformed)")
        // Unreachable (nothing listens on port 1): named, without the password.
        let postgres = try CLI.run(["worker", "--once", "--data-dir", data.path],
                                   environment: ["MEDINFER_DATABASE": "postgres://medinfer:hunter2@127.0.0.1:1/medinfer"])
        #expect(postgres.status != 0 && postgres.stderr.contains("postgres://medinfer@127.0.0.1:1/medinfer"), "\(postgres)")
        for result in [malformed, postgres] {
            #expect(!(result.stdout + result.stderr).contains("hunter2"))
        }
        // `sqlite` and the default blob directory are today's embedded queue.
        let embedded = try CLI.run(["jobs", "list", "--data-dir", data.path, "--database", "sqlite",
                                    "--blob-dir", data.appendingPathComponent("blobs").path])
        #expect(embedded.status == 0, "\(embedded)")
    }

    @Test func serveRefusesRoleCombinationsThatCannotWork() throws {
        let apiWorkers = try CLI.run(["serve", "--role", "api", "--workers", "2"])
        #expect(apiWorkers.status != 0 && apiWorkers.stderr.contains("an api node runs no workers"), "\(apiWorkers)")
        let badRole = try CLI.run(["serve", "--role", "frontend"])
        #expect(badRole.status != 0 && badRole.stderr.contains("--role"), "\(badRole)")
        let data = CLI.temporaryFile("data")
        defer { try? FileManager.default.removeItem(at: data) }
        let workerListener = try CLI.run(["serve", "--role", "worker", "--dicom-port", "11112", "--data-dir", data.path])
        #expect(workerListener.status == 1 && workerListener.stderr.contains("runs on --role api"), "\(workerListener)")
        let noWorkers = try CLI.run(["serve", "--data-dir", data.path], environment: ["MEDINFER_ROLE": "worker", "MEDINFER_WORKERS": "0"])
        #expect(noWorkers.status == 1 && noWorkers.stderr.contains("needs at least one"), "\(noWorkers)")
    }
}
