import Inference
import Foundation
import HTTPTypes
import HummingbirdTesting
import JobQueue
import Models
import NIOCore
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The built `medinfer serve` as a real child process: SIGTERM while a batch runs lets that batch finish
/// and be recorded, leaves the queued jobs queued, and the next start completes them.
@Suite struct ServeProcessTests {
    /// The `medinfer` executable beside the test runner.
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("medinfer")

    /// `holdAfterInferenceMs`: the worker waits this long after each inference (a debug build's test knob,
    /// `MEDINFER_TEST_HOLD_AFTER_INFERENCE_MS`), widening the window in which it can be killed mid-batch.
    static func serve(_ arguments: [String], log: URL, holdAfterInferenceMs: Int? = nil,
                      environment: [String: String] = [:]) throws -> Process {
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        let p = Process()
        p.executableURL = executable
        p.arguments = ["serve"] + arguments
        var extra = environment
        if let holdAfterInferenceMs { extra["MEDINFER_TEST_HOLD_AFTER_INFERENCE_MS"] = String(holdAfterInferenceMs) }
        if !extra.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 } }
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    /// Waits up to `seconds` for `condition`; false on time-out (the caller records the failure).
    static func wait(seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// SIGTERM, then the exit within `seconds`; a server that does not stop is killed so no test hangs.
    static func terminate(_ p: Process, within seconds: Double) async -> Bool {
        kill(p.processIdentifier, SIGTERM)
        let stopped = await wait(seconds: seconds) { !p.isRunning }
        if !stopped { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return stopped
    }

    @Test func sigtermFinishesTheRunningBatchAndLeavesQueuedJobsForTheNextStart() async throws {
        let repository = try TinyModelRepository(batching: (maxBatch: 2, maxDelayMs: 0))
        let folder = repository.root.deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data", isDirectory: true)
        let log = folder.appendingPathComponent("serve.log")
        func logText() -> String { String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self) }

        // Three single-image jobs on the server's data directory, as `medinfer jobs submit` would queue them.
        let models = ModelRepository(root: repository.root)
        models.reload()
        let model = try #require(models.active(TinyModelRepository.name)).ref
        let queue = try JobQueue(directory: data)
        var ids: [String] = []
        for i in 0..<3 {
            await ids.append(try queue.submit([(name: "scan\(i).png", data: try Data(contentsOf: TinyModelRepository.images[i]))],
                                        model: model).job.id)
        }
        let common = ["--host", "127.0.0.1", "--data-dir", data.path, "--models-dir", repository.root.path,
                      "--workers", "1", "--threads", "1", "--max-batch", "2", "--max-delay-ms", "0"]

        // First start: the first batch (jobs 0 and 1) holds for 3 s after inference; SIGTERM arrives then.
        let first = try Self.serve(common + ["--port", String(try freeLoopbackPort())], log: log, holdAfterInferenceMs: 3000)
        let running = try await Self.wait(seconds: 60) {
            let states = [try await queue.status(ids[0]).status, try await queue.status(ids[1]).status]
            return states == [.running, .running]
        }
        await #expect(running, "the first batch never started: \(logText())")
        await #expect(await Self.terminate(first, within: 30), "serve did not stop within 30 s of SIGTERM: \(logText())")
        await #expect(first.terminationReason == .exit && first.terminationStatus == 0, "\(logText())")
        // The running batch was finished and recorded; the job behind it was never started (or handed back).
        await #expect(try await queue.status(ids[0]).status == .succeeded, "\(logText())")
        await #expect(try await queue.status(ids[1]).status == .succeeded, "\(logText())")
        let waiting = try await queue.status(ids[2])
        #expect(waiting.status == .queued && waiting.attempts == 0, "\(waiting)")

        // Next start: the queued job completes.
        let second = try Self.serve(common + ["--port", String(try freeLoopbackPort())], log: log)
        let done = try await Self.wait(seconds: 60) { try await queue.status(ids[2]).status.isTerminal }
        await #expect(await Self.terminate(second, within: 30), "serve did not stop within 30 s of SIGTERM: \(logText())")
        let finished = try await queue.status(ids[2])
        await #expect(done && finished.status == .succeeded, "\(finished) \(logText())")
        await #expect(second.terminationReason == .exit && second.terminationStatus == 0, "\(logText())")
        let result = try await queue.result(ids[2])
        #expect(result.job.id == ids[2] && result.reports.count == 1)
    }

    /// `--port 0`: the "serving on" line comes once the server listens, after the models are loaded, and
    /// names the port the kernel picked.
    @Test func portZeroPrintsTheBoundPortOnceListening() async throws {
        let repository = try TinyModelRepository(batching: (maxBatch: 1, maxDelayMs: 0))
        let folder = repository.root.deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("serve.log")
        func logText() -> String { String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self) }
        let p = try Self.serve(["--host", "127.0.0.1", "--port", "0", "--workers", "0",
                                "--data-dir", folder.appendingPathComponent("data").path, "--models-dir", repository.root.path],
                               log: log)
        defer {
            // Whatever happened above, no server outlives the test.
            if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        }
        let prefix = "medinfer: serving on http://127.0.0.1:"
        let printed = await Self.wait(seconds: 60) { logText().contains(prefix) || !p.isRunning }
        let text = logText()
        #expect(printed && p.isRunning, "\(text)")
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(prefix) }, "\(text)")
        let port = try #require(Int(line.dropFirst(prefix.count).prefix { $0.isNumber }), "\(line)")
        #expect(port > 0 && port <= 65535, "\(line)")
        #expect(text.components(separatedBy: "serving on").count == 2, "printed once: \(text)")
        try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            let live = try await client.execute(TestClient.Request("/v2/health/live", method: .get, authority: "127.0.0.1:\(port)"))
            #expect(live.status == .ok)
            // Printed after the models were verified: ready at once.
            let ready = try await client.execute(TestClient.Request("/v2/health/ready", method: .get, authority: "127.0.0.1:\(port)"))
            #expect(ready.status == .ok)
        }
        #expect(await Self.terminate(p, within: 30), "serve did not stop within 30 s of SIGTERM: \(logText())")
    }

    /// A model version whose verification traps (a debug build's `MEDINFER_TEST_TRAP_VERIFYING`, standing in
    /// for an engine bug) reaches a running server: the verifier child dies, the version is refused with
    /// that reason, and the server keeps serving the version it had.
    @Test func aVersionThatTrapsTheVerifierIsRefusedAndTheServerKeepsServing() async throws {
        let repository = try TinyModelRepository(batching: (maxBatch: 1, maxDelayMs: 0))
        let folder = repository.root.deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("serve.log")
        func logText() -> String { String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self) }
        let port = try freeLoopbackPort()
        let p = try Self.serve(["--host", "127.0.0.1", "--port", String(port), "--workers", "1",
                                "--data-dir", folder.appendingPathComponent("data").path, "--models-dir", repository.root.path],
                               log: log, environment: ["MEDINFER_TEST_TRAP_VERIFYING": "\(TinyModelRepository.name)/2"])
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }
        let up = await Self.wait(seconds: 60) { logText().contains("medinfer: serving on") || !p.isRunning }
        #expect(up && p.isRunning, "\(logText())")
        let lines = logText().split(separator: "\n").map(String.init)
        let keyLine = try #require(lines.firstIndex { $0.hasPrefix("Created the admin API key") }, "\(logText())")
        let key = lines[keyLine + 1].trimmingCharacters(in: .whitespaces)
        func get(_ path: String) async throws -> (HTTPResponse.Status, String) {
            let r = try await ScaleOutProcessTests.call(port, path, .get, key: key)
            return (r.status, r.body.map { String(buffer: $0) } ?? "")
        }

        // Version 2 arrives while it serves; the idle worker re-reads the repository within 10 s.
        let manifest = folder.appendingPathComponent("model.json")
        #expect(try ModelRepository.addVersion(root: repository.root, modelFile: Fixtures.url("onnx-models/opset7/model.onnx"),
                                               name: TinyModelRepository.name, manifest: manifest) == 2)
        var refusal = ""
        let refused = try await Self.wait(seconds: 90) {
            let (status, body) = try await get("/v2/models/\(TinyModelRepository.name)/versions/2")
            refusal = body
            return status == .notFound && body.contains("refused")
        }
        #expect(refused, "\(refusal) \(logText())")
        #expect(refusal.contains("the verifier crashed (signal"), "\(refusal)")
        #expect(p.isRunning, "\(logText())")
        let (status, body) = try await get("/v2/models/\(TinyModelRepository.name)")
        #expect(status == .ok && body.contains("\"versions\":[\"1\"]"), "\(body)")
        #expect((try await get("/v2/health/ready")).0 == .ok)
        #expect(logText().contains("MEDINFER_TEST_TRAP_VERIFYING: trapping while verifying tiny/2"), "the child did trap: \(logText())")
        #expect(await Self.terminate(p, within: 30), "serve did not stop within 30 s of SIGTERM: \(logText())")
    }
}
