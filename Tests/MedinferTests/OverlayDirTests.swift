import Inference
import Foundation
import Imaging
import JobQueue
import TestSupport
import Testing

/// `--overlay-dir` of `review show` and `jobs result`: each stored overlay written as
/// `DIR/<job id>-<image>.overlay.png`, byte for byte the queue's artifact, and its local path shown.
@Suite struct OverlayDirTests {
    typealias Env = JobsCommandTests.Env

    /// One succeeded job of the tiny model (whose graph makes a CAM heatmap) over gray8.png and gray16.png.
    static func succeededJob(_ env: Env) throws -> String {
        let id = try env.run(["jobs", "submit", JobsCommandTests.gray8, JobsCommandTests.gray16]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let r = try env.run(["worker", "--once", "--max-delay-ms", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        return id
    }

    /// The files written are the stored artifacts, at the source images' size, and the paths printed.
    static func checkWritten(_ env: Env, _ id: String, _ dir: URL) async throws -> [String] {
        let queue = try JobQueue(directory: env.data)
        var paths: [String] = []
        for (index, source) in [JobsCommandTests.gray8, JobsCommandTests.gray16].enumerated() {
            let file = dir.appendingPathComponent("\(id)-\(index).overlay.png")
            let written = try Data(contentsOf: file)
            await #expect(written == (try await queue.artifact(job: id, image: index, name: Artifact.overlayName).data))
            let overlay = try Imaging.decode(written), original = try Imaging.decode(Data(contentsOf: URL(fileURLWithPath: source)))
            #expect(overlay.rows == original.rows && overlay.columns == original.columns)
            paths.append(file.path)
        }
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)).count == 2)  // no temporary file left
        return paths
    }

    @Test func reviewShowWritesOverlaysAndPrintsTheirPaths() async throws {
        let env = try Env()
        let dir = CLI.temporaryFile("overlays")  // created by the command
        defer { env.remove(); try? FileManager.default.removeItem(at: dir) }
        let id = try Self.succeededJob(env)

        var r = try env.run(["review", "show", id, "--overlay-dir", dir.path])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        let paths = try await Self.checkWritten(env, id, dir)
        for path in paths { #expect(r.stdout.contains("  overlays       heatmap \(path)\n"), "\(r.stdout)") }
        #expect(!r.stdout.contains("/v1/jobs/"), "\(r.stdout)")

        // JSON: each report's overlay path is the written file; without the option, the API paths as before.
        r = try env.run(["review", "show", id, "--json", "--overlay-dir", dir.path])
        let shown = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let reports = try #require(shown["reports"] as? [[String: Any]])
        #expect(reports.map { ($0["overlays"] as? [[String: Any]])?.first?["path"] as? String } == paths)
        for path in paths { #expect(FileManager.default.fileExists(atPath: path)) }
        r = try env.run(["review", "show", id])
        #expect(r.stdout.contains("  overlays       heatmap /v1/jobs/\(id)/images/0/overlay.png\n"), "\(r.stdout)")
    }

    @Test func jobsResultWritesOverlaysAndPrintsTheirPaths() async throws {
        let env = try Env()
        let dir = CLI.temporaryFile("overlays")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { env.remove(); try? FileManager.default.removeItem(at: dir) }
        let id = try Self.succeededJob(env)

        var r = try env.run(["jobs", "result", id, "--format", "json", "--overlay-dir", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        let paths = try await Self.checkWritten(env, id, dir)
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(reports.map { ($0["overlays"] as? [[String: Any]])?.first?["path"] as? String } == paths)

        r = try env.run(["jobs", "result", id, "--overlay-dir", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasSuffix("WARNINGS  OVERLAY") == true, "\(r.stdout)")
        for (i, path) in paths.enumerated() { #expect(lines[i + 1].hasSuffix("  \(path)"), "\(r.stdout)") }
        _ = try await Self.checkWritten(env, id, dir)  // written again over the same files, atomically

        r = try env.run(["jobs", "result", id])
        #expect(!r.stdout.contains("OVERLAY"), "\(r.stdout)")
        r = try env.run(["jobs", "result", id, "--format", "sr", "--output", dir.path, "--overlay-dir", dir.path])
        #expect(r.status == 1 && r.stderr.contains("--overlay-dir"), "\(r.stderr)")
    }

    @Test func aJobWithoutOverlaysWritesNothing() throws {
        let env = try Env()
        let dir = CLI.temporaryFile("overlays")
        defer { env.remove(); try? FileManager.default.removeItem(at: dir) }
        let queued = try env.run(["jobs", "submit", JobsCommandTests.gray8]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let plain = try env.run(["review", "show", queued])
        let r = try env.run(["review", "show", queued, "--overlay-dir", dir.path])
        #expect(r.status == 0 && r.stdout == plain.stdout && r.stderr.isEmpty, "\(r.stdout)\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path))
    }

    @Test func unwritableDirectoryIsAnErrorNamingIt() throws {
        let env = try Env()
        let file = CLI.temporaryFile("not-a-dir")
        try Data("x".utf8).write(to: file)
        defer { env.remove(); try? FileManager.default.removeItem(at: file) }
        let id = try Self.succeededJob(env)
        // A path under a regular file: no directory can be made there (even as root, unlike chmod).
        let dir = file.appendingPathComponent("overlays").path
        for arguments in [["review", "show", id], ["jobs", "result", id], ["jobs", "result", id, "--format", "json"]] {
            let r = try env.run(arguments + ["--overlay-dir", dir])
            #expect(r.status == 1 && r.stderr.hasPrefix("medinfer: \(dir): ") && r.stdout.isEmpty, "\(arguments) \(r.stderr)")
        }
        #expect(try Data(contentsOf: file) == Data("x".utf8))
    }
}
