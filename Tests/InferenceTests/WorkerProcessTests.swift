@testable import Inference
import Core
import QueueTestSupport
import Annotations
import Foundation
@testable import JobQueue
import Models
import TestSupport
import Testing

/// The built `medinfer worker` as real child processes on one data directory: killed mid-batch and
/// restarted, or two at once. SQLite only: `medinfer worker` opens a data directory (`--data-dir`).
extension WorkerSuites {
@Suite struct WorkerProcessTests {
    /// The `medinfer` executable beside the test runner.
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("medinfer")

    /// `holdAfterInferenceMs`: the worker waits this long after each inference (a debug build's test knob,
    /// `MEDINFER_TEST_HOLD_AFTER_INFERENCE_MS`), widening the window in which it can be killed mid-batch.
    static func start(_ arguments: [String], log: URL, holdAfterInferenceMs: Int? = nil) throws -> Process {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let holdAfterInferenceMs {
            p.environment = ProcessInfo.processInfo.environment.merging(["MEDINFER_TEST_HOLD_AFTER_INFERENCE_MS": String(holdAfterInferenceMs)]) { $1 }
        }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = try FileHandle(forWritingTo: log)
        try p.run()
        return p
    }

    struct Setup {
        let t: TemporaryQueue
        let repo: TinyModelRepository
        let model: ModelRef
        var ids: [String] = []

        init(jobs: Int, imagesPerJob: Int) async throws {
            t = try await TemporaryQueue()
            repo = try TinyModelRepository()
            let models = ModelRepository(root: repo.root)
            models.reload()
            model = try #require(models.active(TinyModelRepository.name)).ref
            for _ in 0..<jobs { try await submit(imagesPerJob) }
        }

        mutating func submit(_ n: Int) async throws {
            await ids.append(try t.queue.submit(try WorkerSuites.WorkerTests.images(n), model: model).job.id)
        }

        func workerArguments(_ extra: [String]) -> [String] {
            ["worker", "--data-dir", t.directory.path, "--models-dir", repo.root.path, "--threads", "1"] + extra
        }

        func remove() { t.remove(); repo.remove() }

        /// Every job succeeded; every image has exactly one report, naming it; no file is unreferenced.
        func checkAllDoneExactlyOnce() async throws {
            for id in ids {
                let result = try await t.queue.result(id)
                #expect(result.job.status == .succeeded, "\(result.job)")
                #expect(result.reports.map(\.image) == Array(result.job.images.indices) && result.reports.allSatisfy { $0.job == id })
            }
            let reports = try await t.count("SELECT COUNT(*) AS n FROM artifacts WHERE name = 'report.json'")
            let running = try await t.count("SELECT COUNT(*) AS n FROM images WHERE status != 'succeeded'")
            let referenced = try await t.queue.store.read { tx in
                Set(try await tx.fetchAll("SELECT blob FROM images UNION SELECT blob FROM artifacts UNION SELECT blob FROM job_artifacts")
                    .map { $0["blob"] as String })
            }
            var images = 0
            for id in ids { images += try await t.queue.status(id).images.count }
            #expect(reports == images && running == 0)
            #expect(t.files.blobs == referenced && t.files.temporary == 0)
        }
    }

    @Test func killedMidBatchTenTimesEveryJobSucceedsExactlyOnce() async throws {
        var s = try await Setup(jobs: 12, imagesPerJob: 2)
        defer { s.remove() }
        let log = s.t.directory.appendingPathComponent("worker.log")
        var kills = 0
        var pids: [Int32] = []
        for cycle in 0..<10 {
            let p = try Self.start(s.workerArguments(["--max-batch", "4", "--max-delay-ms", "0"]), log: log,
                                   holdAfterInferenceMs: 100)
            pids.append(p.processIdentifier)
            // Mid-batch: wait until this process holds leases, then let it run a little further.
            let deadline = Date().addingTimeInterval(20)
            var holding = false
            while Date() < deadline && p.isRunning && !holding {
                holding = try await s.t.count("SELECT COUNT(*) AS n FROM images WHERE lease_owner LIKE ?", ["%:\(p.processIdentifier):%"]) > 0
                if !holding { try await Task.sleep(for: .milliseconds(2)) }
            }
            try await Task.sleep(for: .milliseconds((cycle * 37) % 120))
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                kills += 1
            }
            p.waitUntilExit()
            if holding { #expect(p.terminationReason == .uncaughtSignal) }
            // Jobs keep arriving while workers die.
            try await s.submit(1)
        }
        #expect(kills == 10)
        let last = try Self.start(s.workerArguments(["--once", "--max-batch", "4", "--max-delay-ms", "0"]), log: log)
        last.waitUntilExit()
        #expect(last.terminationStatus == 0, "\(String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self))")
        try await s.checkAllDoneExactlyOnce()
        // Each of the killed workers was noticed dead at the next start: nothing waited for a lease to expire.
        let workers = try await s.t.queue.store.read { tx in try await tx.fetchAll("SELECT id FROM workers").map { $0["id"] as String } }
        #expect(workers.isEmpty, "\(workers), started \(pids + [last.processIdentifier])")
    }

    @Test func sigtermStopsCleanlyAndLeavesQueuedJobsForTheNextStart() async throws {
        var s = try await Setup(jobs: 0, imagesPerJob: 1)
        defer { s.remove() }
        let log = s.t.directory.appendingPathComponent("worker.log")
        let p = try Self.start(s.workerArguments(["--max-delay-ms", "60000"]), log: log)
        // Registered and idle; a job that arrives now waits for its batch to fill.
        let registered = Date().addingTimeInterval(60)
        while try await s.t.count("SELECT COUNT(*) AS n FROM workers") == 0 {
            try #require(Date() < registered, "the worker did not register within 60 s")
            try await Task.sleep(for: .milliseconds(10))
        }
        try await s.submit(1)
        try await Task.sleep(for: .milliseconds(200))
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 0,
                "\(String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self))")
        await #expect(try s.t.count("SELECT COUNT(*) AS n FROM workers") == 0)
        let job = try await s.t.queue.status(s.ids[0])
        #expect(job.status == .queued && job.attempts == 0)
    }

    @Test func twoWorkersNeverProcessAnImageTwice() async throws {
        let s = try await Setup(jobs: 20, imagesPerJob: 2)
        defer { s.remove() }
        let logs = (0..<2).map { s.t.directory.appendingPathComponent("worker\($0).log") }
        let workers = try logs.map { try Self.start(s.workerArguments(["--once", "--max-batch", "3", "--max-delay-ms", "0"]), log: $0) }
        for w in workers { w.waitUntilExit() }
        var succeeded = 0
        for (w, log) in zip(workers, logs) {
            let text = String(decoding: try Data(contentsOf: log), as: UTF8.self)
            #expect(w.terminationStatus == 0, "\(text)")
            // "... batches (largest n), k images succeeded, ..."
            if let range = text.range(of: #"(\d+) images succeeded"#, options: .regularExpression) {
                succeeded += Int(text[range].split(separator: " ")[0]) ?? 0
            }
        }
        #expect(succeeded == 40)
        try await s.checkAllDoneExactlyOnce()
        let attempts = try await s.t.queue.store.read { tx in try await tx.fetchAll("SELECT attempts FROM images").map { $0["attempts"] as Int } }
        #expect(attempts.allSatisfy { $0 == 1 }, "\(attempts)")
    }
}
}
