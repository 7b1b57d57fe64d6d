import Core
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobQueue
import JobQueuePostgres
import Server
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Scale-out with real `medinfer serve` processes on one queue: two `--role api` front ends take the jobs
/// over HTTP, three `--role worker` processes drain them, one is SIGKILLed mid-batch and restarted (as a
/// supervisor would), and every job completes exactly once.
///
/// The queue is the shared data directory's embedded database, or PostgreSQL when
/// `MEDINFER_TEST_POSTGRES_URL` is set (then blobs go to a shared `--blob-dir`).
@Suite struct ScaleOutProcessTests {
    static let jobs = 24

    /// A node: its process, log and port.
    struct Node {
        let process: Process
        let log: URL
        let port: Int
        var text: String { String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self) }
    }

    /// Waits up to `seconds` for `condition` without blocking a thread; false on time-out.
    static func wait(seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// One request on a connection of its own.
    static func call(_ port: Int, _ uri: String, _ method: HTTPRequest.Method, key: String,
                     headers: HTTPFields = [:], body: Data? = nil) async throws -> TestClient.Response {
        var fields = headers
        fields[.authorization] = "Bearer \(key)"
        let headers = fields
        return try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            try await client.execute(TestClient.Request(uri, method: method, authority: "127.0.0.1:\(port)", headers: headers,
                                                        body: body.map { ByteBuffer(bytes: $0) }))
        }
    }

    @Test func twoApiNodesAndThreeWorkersOneKilledMidBatchCompleteEveryJobExactlyOnce() async throws {
        let repository = try TinyModelRepository(batching: (maxBatch: 4, maxDelayMs: 0))
        let folder = repository.root.deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data", isDirectory: true)
        var location = QueueLocation(dataDirectory: data)
        var queueArguments = ["--data-dir", data.path]
        if let url = PostgresQueueStore.testURL {
            // A schema of its own, so a second run on the same cluster starts from an empty queue.
            let database = url + (url.contains("?") ? "&" : "?") + "schema=medinfer_scaleout_" + String(UInt32.random(in: .min ... .max), radix: 16)
            location.database = try QueueDatabase(parsing: database)
            location.blobDirectory = folder.appendingPathComponent("shared-blobs", isDirectory: true)
            queueArguments += ["--database", database, "--blob-dir", location.blobs.path]
        }
        let common = ["--host", "127.0.0.1", "--models-dir", repository.root.path, "--threads", "1"] + queueArguments
        var nodes: [Node] = []
        defer { for node in nodes where node.process.isRunning { kill(node.process.processIdentifier, SIGKILL) } }
        func start(_ name: String, _ arguments: [String], holdAfterInferenceMs: Int? = nil) async throws -> Node {
            let port = try freeLoopbackPort()
            let log = folder.appendingPathComponent("\(name).log")
            let node = Node(process: try ServeProcessTests.serve(common + ["--port", String(port)] + arguments, log: log,
                                                                 holdAfterInferenceMs: holdAfterInferenceMs),
                            log: log, port: port)
            nodes.append(node)
            let listening = await Self.wait(seconds: 120) { node.text.contains("medinfer: serving on") || !node.process.isRunning }
            #expect(listening && node.process.isRunning, "\(name): \(node.text)")
            return node
        }
        let workerArguments = ["--role", "worker", "--workers", "1", "--max-batch", "4", "--max-delay-ms", "0"]

        // Two front ends; the first start creates the admin key, printed once.
        let api = [try await start("api1", ["--role", "api"]), try await start("api2", ["--role", "api"])]
        let lines = api[0].text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let key = try #require(lines.first { $0.hasPrefix("mi_") }, "\(api[0].text)")
        #expect(api.allSatisfy { $0.text.contains("(role api, 0 worker(s),") }, "\(api.map(\.text))")

        // The worker to be killed starts alone, and holds its first batch (60 s) after inference.
        let victim = try await start("victim", workerArguments, holdAfterInferenceMs: 60000)
        #expect(victim.text.contains("(role worker, 1 worker(s),"), "\(victim.text)")

        // 24 jobs, alternately through each front end.
        var ids: [String] = []
        for i in 0..<Self.jobs {
            let answer = try await Self.call(api[i % 2].port, "/v1/jobs", .post, key: key, headers: [.contentType: "image/png"],
                                             body: try Data(contentsOf: TinyModelRepository.images[i % TinyModelRepository.images.count]))
            #expect(answer.status == .accepted, "\(String(decoding: answer.data, as: UTF8.self))")
            ids.append(try #require(try answer.json()["id"] as? String))
        }
        let queue = try await openQueue(location)
        // Mid-batch: the victim holds claimed images (nothing else runs yet).
        var held: [String] = []
        let holding = try await Self.wait(seconds: 60) {
            held = try await ids.asyncFilter { try await queue.status($0).status == .running }
            return !held.isEmpty
        }
        #expect(holding, "the victim never claimed a batch: \(victim.text)")

        // Two more workers drain the rest meanwhile; then the victim dies with its batch in hand.
        let survivors = [try await start("worker2", workerArguments, holdAfterInferenceMs: 20),
                         try await start("worker3", workerArguments, holdAfterInferenceMs: 20)]
        let progressing = try await Self.wait(seconds: 60) { try await ids.asyncContains { try await queue.status($0).status == .succeeded } }
        #expect(progressing, "\(survivors.map(\.text))")
        await #expect(try await held.asyncAllSatisfy { try await queue.status($0).status == .running }, "the victim's batch finished before the kill")
        kill(victim.process.processIdentifier, SIGKILL)
        victim.process.waitUntilExit()
        #expect(victim.process.terminationReason == .uncaughtSignal)
        // Restarted as a supervisor would: at start-up it takes back the dead worker's images (the survivors
        // would too, once its leases expire).
        let restarted = try await start("victim-restarted", workerArguments)
        let tookBack = await Self.wait(seconds: 30) { restarted.text.contains("took back \(held.count) image(s) from workers that stopped") }
        #expect(tookBack, "\(restarted.text)")

        let finished = try await Self.wait(seconds: 120) { try await ids.asyncAllSatisfy { try await queue.status($0).status.isTerminal } }
        #expect(finished, "\((survivors + [restarted]).map(\.text))")

        // Exactly once: every job succeeded with one report for its image, on its first counted
        // attempt (the killed one is an interruption, not an attempt), one job.submitted and one
        // job.succeeded per job, and the audit chain intact.
        for (i, id) in ids.enumerated() {
            let job = try await queue.status(id)
            #expect(job.status == .succeeded && job.images.count == 1, "\(job)")
            #expect(job.images.allSatisfy { $0.attempts == 1 }, "\(job.images)")
            let events = try await queue.audit.list(job: id).map(\.kind)
            #expect(events.filter { $0 == .jobSubmitted }.count == 1 && events.filter { $0 == .jobSucceeded }.count == 1, "\(id): \(events)")
            // The front end that did not take the job serves its one report.
            let other = try await Self.call(api[(i + 1) % 2].port, "/v1/jobs/\(id)/result", .get, key: key)
            let reports = try other.json()["reports"] as? [[String: Any]] ?? []
            let report = reports.first ?? [:]
            let (image, owner) = (report["image"] as? Int, report["job"] as? String)
            #expect(reports.count == 1 && image == 0 && owner == id, "\(String(decoding: other.data, as: UTF8.self))")
        }
        await #expect(try queue.jobCounts()[.succeeded] == Self.jobs)
        await #expect(try queue.audit.verify().problem == nil)

        // The role split as served: an api node leaves inference to workers, a worker refuses the job API.
        let infer = try await Self.call(api[0].port, "/v2/models/tiny/infer", .post, key: key, body: Data("{}".utf8))
        #expect(infer.status == .serviceUnavailable)
        let jobsOnWorker = try await Self.call(restarted.port, "/v1/jobs", .get, key: key)
        #expect(jobsOnWorker.status == .serviceUnavailable)

        for node in api + survivors + [restarted] {
            await #expect(await ServeProcessTests.terminate(node.process, within: 30), "\(node.text)")
            #expect(node.process.terminationReason == .exit && node.process.terminationStatus == 0, "\(node.text)")
        }
    }
}
