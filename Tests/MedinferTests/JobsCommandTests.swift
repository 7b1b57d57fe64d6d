import Foundation
import TestSupport
import Testing

/// `medinfer jobs ...` and `medinfer worker` as a user runs them, on a temporary data directory and the
/// tiny fixture model.
@Suite struct JobsCommandTests {
    struct Env {
        let data = CLI.temporaryFile("data")
        let repo: TinyModelRepository

        init() throws { repo = try TinyModelRepository() }

        func run(_ arguments: [String]) throws -> CLIResult {
            let needsModels = arguments.first == "worker" || arguments.dropFirst().first == "submit"
            return try CLI.run(arguments + ["--data-dir", data.path] + (needsModels ? ["--models-dir", repo.root.path] : []))
        }

        func remove() {
            try? FileManager.default.removeItem(at: data)
            repo.remove()
        }
    }

    static let gray8 = Fixtures.url("png/gray8.png").path
    static let gray16 = Fixtures.url("png/gray16.png").path

    @Test func submitWorkWatchResultPrune() throws {
        let env = try Env()
        defer { env.remove() }
        var r = try env.run(["jobs", "submit", Self.gray8, Self.gray16, "--priority", "7"])
        #expect(r.status == 0, "\(r.stderr)")
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(UUID(uuidString: id) != nil, "\(r.stdout)")

        r = try env.run(["jobs", "show", id, "--json"])
        let job = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(job["status"] as? String == "queued" && job["priority"] as? Int == 7 && job["queuePosition"] as? Int == 0)
        #expect((job["images"] as? [[String: Any]])?.map { $0["name"] as? String } == ["gray8.png", "gray16.png"])
        #expect((job["model"] as? [String: Any])?["name"] as? String == "tiny")

        r = try env.run(["jobs", "list"])
        #expect(r.stdout.hasPrefix("ID  ") && r.stdout.contains("\(id)  queued  7         0/2     tiny:1"), "\(r.stdout)")

        r = try env.run(["worker", "--once", "--max-delay-ms", "0"])
        #expect(r.status == 0 && r.stderr.contains("2 images succeeded, 0 failed"), "\(r.stderr)")
        r = try env.run(["jobs", "watch", id])
        #expect(r.status == 0 && r.stdout == "succeeded 2/2 images\n", "\(r.stdout)\(r.stderr)")

        r = try env.run(["jobs", "result", id, "--format", "json"])
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(reports.map { $0["image"] as? Int } == [0, 1] && reports.allSatisfy { $0["job"] as? String == id })
        // The tiny model's graph has a class activation map: each image also has a heatmap overlay.
        #expect(reports.map { ($0["overlays"] as? [[String: Any]])?.first?["kind"] as? String } == ["heatmap", "heatmap"])
        r = try env.run(["jobs", "result", id])
        #expect(r.stdout.hasPrefix("IMAGE  FILE        MODALITY  TOP FINDING") && r.stdout.contains("decision aid"), "\(r.stdout)")

        r = try env.run(["jobs", "cancel", id])
        #expect(r.status == 1 && r.stderr == "medinfer: job \(id) is succeeded; only queued jobs can be cancelled\n")
        r = try env.run(["jobs", "prune", "--older-than", "0s"])
        #expect(r.status == 0 && r.stdout == "removed 1 job and 7 files\n", "\(r.stdout)\(r.stderr)")
        r = try env.run(["jobs", "show", id])
        #expect(r.status == 1 && r.stderr == "medinfer: no job \(id)\n")
    }

    @Test func idempotencyKeyAndUndecodableInput() throws {
        let env = try Env()
        defer { env.remove() }
        let first = try env.run(["jobs", "submit", Self.gray8, "--idempotency-key", "ris-1"])
        let again = try env.run(["jobs", "submit", Self.gray8, "--idempotency-key", "ris-1"])
        #expect(first.status == 0 && again.status == 0 && first.stdout == again.stdout)
        #expect(again.stderr.contains("matched the existing job"))
        let other = try env.run(["jobs", "submit", Self.gray16, "--idempotency-key", "ris-1"])
        #expect(other.status == 1 && other.stderr.contains("idempotency key 'ris-1' was already used by job"), "\(other.stderr)")
        let bad = try env.run(["jobs", "submit", Fixtures.url("README.md").path])
        #expect(bad.status == 1 && bad.stderr.hasPrefix("medinfer: \(Fixtures.url("README.md").path): unknown image format"), "\(bad.stderr)")
        let list = try env.run(["jobs", "list", "--json"])
        #expect(try (JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [Any])?.count == 1)
    }

    /// A full disk, simulated with a file-size limit on the submitting process: a clear error naming the
    /// file, and no job, no blob, no temporary file.
    @Test func fullDiskRefusesTheJobAndLeavesNothing() throws {
        let env = try Env()
        defer { env.remove() }
        #expect(try env.run(["jobs", "list"]).status == 0)  // creates the database
        let scan = Fixtures.packageRoot.appendingPathComponent("SampleImages/CT_head.dcm").path  // 129 KiB
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        // 160 blocks of 512 bytes: room for the database's shared memory, not for the scan.
        p.arguments = ["-c", "ulimit -f 160; exec \"$0\" \"$@\"", CLI.executable.path, "jobs", "submit", scan,
                       "--data-dir", env.data.path, "--models-dir", env.repo.root.path]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 1, "\(stderr)")
        #expect(stderr.hasPrefix("medinfer: \(env.data.path)/blobs/tmp/") && stderr.contains("cannot write: File too large"), "\(stderr)")
        let list = try env.run(["jobs", "list", "--json"])
        #expect(list.stdout == "[\n\n]\n" || list.stdout == "[]\n", "\(list.stdout)")
        let blobs = try FileManager.default.subpathsOfDirectory(atPath: env.data.appendingPathComponent("blobs").path)
        #expect(blobs.filter { !$0.hasPrefix(".") && $0 != "tmp" }.isEmpty, "\(blobs)")
    }

    @Test func dataDirectoryThatIsAFileIsAClearError() throws {
        let file = CLI.temporaryFile("not-a-folder")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try CLI.run(["jobs", "list", "--data-dir", file.path])
        #expect(r.status == 1 && r.stderr == "medinfer: \(file.path): the data directory is a file, not a folder\n", "\(r.stderr)")
    }

    @Test func helpNamesEveryCommandWithAnExample() throws {
        let jobs = try CLI.run(["jobs", "--help"])
        for sub in ["submit", "list", "show", "watch", "result", "cancel", "prune"] {
            #expect(jobs.stdout.contains("  \(sub) "), "\(sub)")
            let help = try CLI.run(["jobs", sub, "--help"])
            #expect(help.status == 0 && help.stdout.contains("medinfer jobs \(sub)"), "\(sub): \(help.stdout)")
        }
        let worker = try CLI.run(["worker", "--help"])
        #expect(worker.stdout.contains("--max-batch") && worker.stdout.contains("medinfer worker --once")
                && !worker.stdout.contains("hold-after"), "\(worker.stdout)")
        let bad = try CLI.run(["jobs", "prune", "--older-than", "soon"])
        #expect(bad.status == 1 && bad.stderr.contains("expected a number with s, m, h or d"))
    }
}
