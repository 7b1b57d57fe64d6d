import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import TestSupport
import Testing

/// `medinfer jobs ...` and `medinfer review ...` with `--server URL --api-key KEY` against a server started
/// in-process on port 0 (a real socket), compared with the same commands run locally (`--data-dir`) on the
/// server's data directory: the same tables, JSON and exit codes.
@Suite(.serialized) struct RemoteModeTests {
    /// A server on the tiny model without in-process workers (jobs stay queued until the test runs
    /// `medinfer worker --once` on the data directory), with a key of each role.
    struct Remote {
        let services: ServerServices
        /// The tiny model's repository (`<tmp>/Models`).
        let models: URL
        let data: URL
        let admin: String, submitter: String, reviewer: String

        init() async throws {
            models = try TinyModelRepository().root
            data = models.deletingLastPathComponent().appendingPathComponent("data", isDirectory: true)
            var c = ServerConfiguration()
            c.port = 0
            c.dataDirectory = data
            c.modelsDirectory = models
            c.workers = 0
            services = try await ServerServices(configuration: c)
            admin = try await #require(try await services.keys.bootstrapAdminKey())
            submitter = try await services.keys.create(name: "router", role: .submitter).key
            reviewer = try await services.keys.create(name: "dr-jones", role: .reviewer).key
        }

        func remove() { try? FileManager.default.removeItem(at: models.deletingLastPathComponent()) }

        /// Runs `body` with the server's base URL while the server listens.
        func serve(_ body: @escaping @Sendable (String) async throws -> Void) async throws {
            try await buildApplication(services).test(.live) { client in
                let port = try #require(client.port)
                try await body("http://127.0.0.1:\(port)")
            }
        }

        /// The command locally on the server's data directory.
        func local(_ arguments: [String]) async throws -> CLIResult {
            let needsModels = arguments.first == "worker" || arguments.dropFirst().first == "submit"
            return try await CLI.runDetached(arguments + ["--data-dir", data.path] + (needsModels ? ["--models-dir", models.path] : []))
        }
    }

    static func remote(_ url: String, _ key: String) -> [String] { ["--server", url, "--api-key", key] }

    @Test func jobsOverHTTPPrintWhatLocalModePrints() async throws {
        let env = try await Remote()
        defer { env.remove() }
        try await env.serve { url in
            let admin = Self.remote(url, env.admin)
            var r = try await CLI.runDetached(["jobs", "submit", JobsCommandTests.gray8, JobsCommandTests.gray16, "--priority", "7"] + admin)
            #expect(r.status == 0, "\(r.stderr)")
            let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(UUID(uuidString: id) != nil, "\(r.stdout)")
            // A second job, cancelled over HTTP while queued.
            r = try await CLI.runDetached(["jobs", "submit", JobsCommandTests.gray8, "--json"] + admin)
            let cancelled = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])["id"] as? String
            r = try await CLI.runDetached(["jobs", "cancel", try #require(cancelled)] + admin)
            #expect(r.status == 0 && r.stdout == "cancelled \(cancelled!)\n", "\(r.stdout)\(r.stderr)")

            // Queued: the job as the server shows it is the job as the data directory shows it (names kept).
            r = try await CLI.runDetached(["jobs", "show", id, "--json"] + admin)
            let job = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            #expect(job["status"] as? String == "queued" && job["priority"] as? Int == 7)
            #expect((job["images"] as? [[String: Any]])?.map { $0["name"] as? String } == ["gray8.png", "gray16.png"])
            let localJob = try await env.local(["jobs", "show", id, "--json"])
            #expect(r.stdout == localJob.stdout)

            r = try await env.local(["worker", "--once", "--max-delay-ms", "0"])
            #expect(r.status == 0, "\(r.stderr)")
            r = try await CLI.runDetached(["jobs", "watch", id] + admin)
            #expect(r.status == 0 && r.stdout == "succeeded 2/2 images\n", "\(r.stdout)\(r.stderr)")
            r = try await CLI.runDetached(["jobs", "watch", cancelled!] + admin)
            #expect(r.status == 1 && r.stderr == "medinfer: job \(cancelled!) cancelled\n", "\(r.stdout)\(r.stderr)")

            let overlays = CLI.temporaryFile("overlays").path
            defer { try? FileManager.default.removeItem(atPath: overlays) }
            for command in [["jobs", "show", id], ["jobs", "show", id, "--json"], ["jobs", "list"], ["jobs", "list", "--json"],
                            ["jobs", "list", "--status", "cancelled", "--limit", "1"], ["jobs", "result", id],
                            ["jobs", "result", id, "--format", "json"], ["jobs", "result", id, "--overlay-dir", overlays]] {
                let remote = try await CLI.runDetached(command + admin)
                let local = try await env.local(command)
                #expect(remote.status == 0 && local.status == 0, "\(command): \(remote.stderr) \(local.stderr)")
                #expect(remote.stdout == local.stdout && remote.stderr == local.stderr, "\(command)")
                #expect(!remote.stdout.isEmpty)
            }
            // The overlays written from the server are the stored ones.
            let written = try FileManager.default.contentsOfDirectory(atPath: overlays).sorted()
            #expect(written == ["\(id)-0.overlay.png", "\(id)-1.overlay.png"])

            // A DICOM SR fetched over HTTP.
            let sr = CLI.temporaryFile("job.sr.dcm")
            defer { try? FileManager.default.removeItem(at: sr) }
            r = try await CLI.runDetached(["jobs", "result", id, "--format", "sr", "--output", sr.path] + admin)
            #expect(r.status == 0 && r.stdout == sr.path + "\n", "\(r.stderr)")
            let bytes = try Data(contentsOf: sr)
            #expect(bytes.count > 132 && bytes[128..<132] == Data("DICM".utf8))

            // Server refusals are clear CLI errors with a non-zero exit, as locally.
            r = try await CLI.runDetached(["jobs", "cancel", id] + admin)
            #expect(r.status == 1 && r.stderr == "medinfer: server said 409: job \(id) is succeeded; only queued jobs can be cancelled\n",
                    "\(r.stderr)")
            r = try await CLI.runDetached(["jobs", "show", "no-such-job"] + admin)
            #expect(r.status == 1 && r.stderr == "medinfer: server said 404: no job no-such-job\n", "\(r.stderr)")
            r = try await CLI.runDetached(["jobs", "submit", JobsCommandTests.gray8, "--model", "nope"] + admin)
            #expect(r.status == 1 && r.stderr.hasPrefix("medinfer: server said 400: model=nope:"), "\(r.stderr)")
        }
    }

    @Test func reviewOverHTTPInThreeCommands() async throws {
        let env = try await Remote()
        defer { env.remove() }
        try await env.serve { url in
            var r = try await CLI.runDetached(["jobs", "submit", JobsCommandTests.gray8] + Self.remote(url, env.submitter))
            let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(r.status == 0 && UUID(uuidString: id) != nil, "\(r.stderr)")
            _ = try await env.local(["worker", "--once", "--max-delay-ms", "0"])
            let reviewer = Self.remote(url, env.reviewer)

            // 1. The worklist, 2. the job's findings: as the data directory shows them.
            for command in [["review"], ["review", "--json"], ["review", "show", id], ["review", "show", id, "--json"]] {
                let remote = try await CLI.runDetached(command + reviewer)
                let local = try await env.local(command)
                #expect(remote.status == 0 && remote.stdout == local.stdout, "\(command): \(remote.stderr)")
            }
            r = try await CLI.runDetached(["review"] + reviewer)
            #expect(r.stdout.contains(id) && r.stdout.hasSuffix("1 job; results are a decision aid, not a diagnosis.\n"), "\(r.stdout)")

            // 3. The verdict, recorded under the key's name; --reviewer is refused over HTTP.
            r = try await CLI.runDetached(["review", "decide", id, "--agree", "--reviewer", "Dr. Who"] + reviewer)
            #expect(r.status == 1 && r.stderr.contains("--reviewer is for local mode"), "\(r.stderr)")
            r = try await CLI.runDetached(["review", "decide", id, "--agree", "--comment", "clear case"] + reviewer)
            #expect(r.status == 0 && r.stdout.hasPrefix("job \(id): agree recorded by dr-jones (review "), "\(r.stdout)\(r.stderr)")

            r = try await CLI.runDetached(["review"] + reviewer)
            #expect(r.status == 0 && r.stdout == "no jobs to review\n", "\(r.stdout)")
            for command in [["review", "--all", "--json"], ["review", "show", id]] {
                let remote = try await CLI.runDetached(command + reviewer)
                let local = try await env.local(command)
                #expect(remote.status == 0 && remote.stdout == local.stdout, "\(command): \(remote.stderr)")
            }
            r = try await env.local(["audit", "list", "--job", id, "--json"])
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
            #expect(rows.last?["kind"] as? String == "job.reviewed" && rows.last?["subject"] as? String == "dr-jones", "\(r.stdout)")

            // Wrong key, wrong role, no key: clear errors, exit 1.
            r = try await CLI.runDetached(["jobs", "list"] + Self.remote(url, "mi_000000000000_" + String(repeating: "0", count: 64)))
            #expect(r.status == 1 && r.stderr == "medinfer: server said 401: the API key is unknown or revoked\n", "\(r.stderr)")
            r = try await CLI.runDetached(["review"] + Self.remote(url, env.submitter))
            #expect(r.status == 1 && r.stderr == "medinfer: server said 403: this route needs the reviewer role; the key 'router' has submitter\n",
                    "\(r.stderr)")
            r = try await CLI.runDetached(["review", "decide", id, "--disagree"] + Self.remote(url, env.submitter))
            #expect(r.status == 1 && r.stderr.hasPrefix("medinfer: server said 403: "), "\(r.stderr)")
            r = try await CLI.runDetached(["jobs", "list", "--server", url], environment: ["MEDINFER_API_KEY": ""])
            #expect(r.status == 1 && r.stderr == "medinfer: --server needs --api-key KEY (or MEDINFER_API_KEY)\n", "\(r.stderr)")
            // The environment variables work as the flags.
            r = try await CLI.runDetached(["jobs", "show", id], environment: ["MEDINFER_SERVER": url, "MEDINFER_API_KEY": env.submitter])
            #expect(r.status == 0 && r.stdout.hasPrefix("id          \(id)\nstatus      succeeded"), "\(r.stdout)\(r.stderr)")
        }
        // Nothing listens any more: the error names the server.
        let r = try await CLI.runDetached(["jobs", "list", "--server", "http://127.0.0.1:1", "--api-key", env.admin])
        #expect(r.status == 1 && r.stderr.hasPrefix("medinfer: cannot reach the server at http://127.0.0.1:1"), "\(r.stderr)")
    }
}
