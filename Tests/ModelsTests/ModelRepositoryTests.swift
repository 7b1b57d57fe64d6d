import Engine
import Foundation
import Models
import Tensor
import TestSupport
import Testing

@Suite(.onComputeThreads) struct ModelRepositoryTests {
    /// Runs `m` on the canary input; true when it gives the ONNX Runtime output within 1e-4.
    static func answers(_ m: LoadedModel) throws -> Bool {
        let (input, expected) = try RepositoryFixture.canary()
        let out = try #require(try m.run(["input": input])["output"])
        return allClose(out.doubles(), expected.doubles(), abs: 1e-4)
    }

    static func activeFile(_ f: RepositoryFixture, _ name: String) throws -> String {
        try String(contentsOf: f.root.appendingPathComponent("\(name)/ACTIVE"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func badVersionsAreRefusedAndTheGoodOneKeepsServing() throws {
        let f = try RepositoryFixture()
        defer { f.remove() }
        try f.writeVersion("tiny", 1)
        let repo = ModelRepository(root: f.root)
        #expect(repo.reload() == [.verified(name: "tiny", version: 1), .activated(name: "tiny", version: 1, previous: nil)])
        let v1 = try #require(repo.active("tiny"))
        let modelSHA = try FileChecksum.sha256(of: RepositoryFixture.model)
        #expect(v1.version == 1 && v1.sha256 == modelSHA)

        // Version 2: the manifest's checksum is wrong.
        try f.writeVersion("tiny", 2) { $0["sha256"] = ["model.onnx": String(repeating: "0", count: 64)] }
        let events = repo.reload()
        #expect(events.count == 1)
        guard case .refused(_, 2, let reason)? = events.first else { Issue.record("not refused: \(events)"); return }
        #expect(reason.hasPrefix("tiny/2/model.onnx: SHA-256 is "), "\(reason)")
        #expect(reason.contains("the manifest says 0000"))
        #expect(repo.active("tiny")?.version == 1)
        #expect(repo.model("tiny", version: 2) == nil)

        // Version 3: the canary's expected output is altered; tolerance 0.
        let (_, expected) = try RepositoryFixture.canary()
        let altered = try Tensor(shape: expected.shape, values: expected.floats().map { $0 + 0.01 })
        try f.writeVersion("tiny", 3, expected: altered, tolerance: 0)
        let events3 = repo.reload()
        guard case .refused(_, 3, let reason3)? = events3.first else { Issue.record("not refused: \(events3)"); return }
        #expect(reason3.hasPrefix("canary checks[0] failed: output 'output' differs from expected.npy by"), "\(reason3)")
        #expect(repo.active("tiny") === v1)
        #expect(try Self.answers(try #require(repo.active("tiny"))))

        let status = try #require(repo.models().first)
        #expect(status.name == "tiny" && status.active == 1 && status.task == .classification)
        #expect(status.versions.map(\.version) == [1, 2, 3])
        #expect(status.versions[0].state == .verified)
        #expect(status.versions[1].state == .refused(reason: reason))
        #expect(status.versions[2].state == .refused(reason: reason3))
        #expect(status.sha256 == v1.sha256)

        // verify re-reads the files and reports the same reasons.
        let results = repo.verify("tiny")
        #expect(results.map(\.passed) == [true, false, false])
        #expect(results[1].failure == reason)
        #expect(results[0].checks == 1)
    }

    @Test func activateAndRollbackWriteACTIVE() throws {
        let f = try RepositoryFixture()
        defer { f.remove() }
        try f.writeVersion("tiny", 1)
        try f.writeVersion("tiny", 2) { $0["sha256"] = ["model.onnx": String(repeating: "1", count: 64)] }
        try f.writeVersion("tiny", 3)
        let repo = ModelRepository(root: f.root)
        repo.reload()
        #expect(repo.active("tiny")?.version == 3)

        #expect(try repo.activate("tiny", version: 1) == [.activated(name: "tiny", version: 1, previous: 3)])
        #expect(try Self.activeFile(f, "tiny") == "1")
        #expect(repo.active("tiny")?.version == 1)
        #expect(repo.models().first?.pinned == 1)

        #expect(throws: ModelsError.self) { try repo.activate("tiny", version: 2) }  // refused
        #expect(throws: ModelsError.unknownVersion(name: "tiny", version: 9)) { try repo.activate("tiny", version: 9) }
        #expect(throws: ModelsError.unknownModel(name: "other")) { try repo.activate("other", version: 1) }
        #expect(repo.active("tiny")?.version == 1)

        try repo.activate("tiny", version: 3)
        // Rollback skips the refused version 2.
        #expect(try repo.rollback("tiny") == [.activated(name: "tiny", version: 1, previous: 3)])
        #expect(try Self.activeFile(f, "tiny") == "1")
        #expect(repo.active("tiny")?.version == 1)
        #expect(throws: ModelsError.noEarlierVersion(name: "tiny", active: 1)) { try repo.rollback("tiny") }

        // A fresh repository object reads the pin; a pin on a refused version is ignored.
        let again = ModelRepository(root: f.root)
        again.reload()
        #expect(again.active("tiny")?.version == 1)
        try Data("2\n".utf8).write(to: f.root.appendingPathComponent("tiny/ACTIVE"))
        #expect(again.reload() == [.activated(name: "tiny", version: 3, previous: 1)])
    }

    @Test func heldModelKeepsRunningAfterTheSwitch() throws {
        let f = try RepositoryFixture()
        defer { f.remove() }
        try f.writeVersion("tiny", 1)
        let repo = ModelRepository(root: f.root)
        repo.reload()
        let held = try #require(repo.active("tiny"))

        // A version added while the repository exists is picked up by reload and becomes active.
        try f.writeVersion("tiny", 2)
        #expect(repo.reload() == [.verified(name: "tiny", version: 2), .activated(name: "tiny", version: 2, previous: 1)])
        #expect(repo.active("tiny")?.version == 2)
        #expect(held.version == 1)
        #expect(try Self.answers(held))

        // Even once its folder is gone, the held version finishes its work on its own plan.
        try FileManager.default.removeItem(at: f.root.appendingPathComponent("tiny/1"))
        #expect(repo.reload() == [.removed(name: "tiny", version: 1)])
        #expect(repo.model("tiny", version: 1) == nil)
        #expect(try Self.answers(held))
        #expect(try Self.answers(try #require(repo.active("tiny"))))
    }

    @Test func changedVersionIsVerifiedAgain() throws {
        let f = try RepositoryFixture()
        defer { f.remove() }
        try f.writeVersion("tiny", 1)
        let dir = try f.writeVersion("tiny", 2)
        let repo = ModelRepository(root: f.root)
        repo.reload()
        #expect(repo.active("tiny")?.version == 2)
        // The weights change under the same manifest: refused, version 1 serves again.
        let handle = try FileHandle(forWritingTo: dir.appendingPathComponent("model.onnx"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        let events = repo.reload()
        #expect(events.count == 2)
        #expect(events.last == .activated(name: "tiny", version: 1, previous: 2))
        #expect(repo.active("tiny")?.version == 1)
    }

    @Test func manifestMustNameItsFolder() throws {
        let f = try RepositoryFixture()
        defer { f.remove() }
        try f.writeVersion("tiny", 1) { $0["version"] = 7 }
        try f.writeVersion("tiny", 2) { m in
            m["inputs"] = [["name": "image", "layout": "NCHW", "shape": [-1, 3, 32, 32], "dtype": "float32", "channels": "rgb"]]
        }
        let repo = ModelRepository(root: f.root)
        repo.reload()
        #expect(repo.refusal("tiny", version: 1) == "tiny/1/model.json: version: is 7 but the folder is 1")
        #expect(repo.refusal("tiny", version: 2)?.hasPrefix("model does not match its manifest: the model has input 'input'") == true)
        #expect(repo.active("tiny") == nil)
    }

    @Test func addVersionProducesVerifiedVersions() throws {
        let f = try RepositoryFixture()
        defer { f.remove() }
        // No manifest: one is generated from the model.
        #expect(try ModelRepository.addVersion(root: f.root, modelFile: RepositoryFixture.model, name: "tiny", manifest: nil) == 1)
        let repo = ModelRepository(root: f.root)
        repo.reload()
        let v1 = try #require(repo.active("tiny"))
        #expect(v1.manifest.inputs.map(\.name) == ["input"] && v1.manifest.outputs.map(\.name) == ["output"])
        let modelSHA = try FileChecksum.sha256(of: RepositoryFixture.model)
        #expect(v1.manifest.sha256 == ["model.onnx": modelSHA])

        // A manifest with a canary whose arrays lie beside it (its name, version and checksums are replaced).
        let staging = f.root.deletingLastPathComponent().appendingPathComponent("staging")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: RepositoryFixture.input, to: staging.appendingPathComponent("input.npy"))
        try FileManager.default.copyItem(at: RepositoryFixture.expected, to: staging.appendingPathComponent("expected.npy"))
        var m = RepositoryFixture.manifest(name: "whatever", version: 99)
        m["sha256"] = ["model.onnx": String(repeating: "0", count: 64), "expected.npy": String(repeating: "0", count: 64)]
        let manifestURL = staging.appendingPathComponent("model.json")
        try JSONSerialization.data(withJSONObject: m).write(to: manifestURL)
        #expect(try ModelRepository.addVersion(root: f.root, modelFile: RepositoryFixture.model, name: "tiny", manifest: manifestURL) == 2)
        #expect(repo.reload() == [.verified(name: "tiny", version: 2), .activated(name: "tiny", version: 2, previous: 1)])
        let v2 = try #require(repo.active("tiny"))
        #expect(v2.manifest.name == "tiny" && v2.manifest.version == 2 && v2.manifest.checks.count == 1)
        let expectedSHA = try FileChecksum.sha256(of: RepositoryFixture.expected)
        #expect(v2.manifest.sha256["expected.npy"] == expectedSHA)
        #expect(try Self.answers(v2))
        // No temporary folder is left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: f.root.appendingPathComponent("tiny").path)
        #expect(left.sorted() == ["1", "2"])

        #expect(throws: ModelsError.invalidName("../x")) {
            try ModelRepository.addVersion(root: f.root, modelFile: RepositoryFixture.model, name: "../x", manifest: nil)
        }
    }
}

@Suite(.onComputeThreads) struct ModelRepositoryConcurrencyTests {
    /// Runs on whatever version is active while another thread switches versions back and forth:
    /// every run succeeds with the right answer, on the version it started with.
    @Test func runsWhileVersionsSwitch() throws {
        let f = try RepositoryFixture()
        defer { f.remove() }
        try f.writeVersion("tiny", 1)
        try f.writeVersion("tiny", 2)
        let repo = ModelRepository(root: f.root)
        repo.reload()
        let (input, expected) = try RepositoryFixture.canary()
        let reference = expected.doubles()
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<25 {
                if worker == 0 {
                    do { try repo.activate("tiny", version: i % 2 + 1) } catch { failures.add("\(error)") }
                    continue
                }
                guard let m = repo.active("tiny") else { failures.add("no active version"); continue }
                do {
                    let out = try m.run(["input": input])["output"]?.doubles() ?? []
                    if !allClose(out, reference, abs: 1e-4) { failures.add("version \(m.version) gave \(out)") }
                } catch { failures.add("\(error)") }
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
    }
}

/// Failures collected from several threads.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
