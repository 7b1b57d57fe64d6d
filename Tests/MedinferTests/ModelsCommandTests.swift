import Foundation
import Models
import TestSupport
import Testing

/// `medinfer models ...` on a repository in a temporary folder, built with `models add`.
@Suite struct ModelsCommandTests {
    static let model = "Tests/Fixtures/onnx-models/opset7/model.onnx"

    @Test func addListActivateRollbackVerify() throws {
        let root = CLI.temporaryFile("Models"), data = CLI.temporaryFile("data")  // activations are audited there
        defer { for dir in [root, data] { try? FileManager.default.removeItem(at: dir) } }
        for expected in ["tiny 1: added", "tiny 2: added"] {
            let r = try CLI.run(["models", "add", Self.model, "--name", "tiny", "--root", root.path])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.hasPrefix(expected), "\(r.stdout)")
        }
        var r = try CLI.run(["models", "list", "--root", root.path])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "NAME  VERSIONS  ACTIVE  SHA256        TASK            STATUS")
        let sha = try FileChecksum.sha256(of: Fixtures.packageRoot.appendingPathComponent(Self.model))
        #expect(lines.dropFirst().first == "tiny  1,2       2       \(sha.prefix(12))  classification  ok")

        r = try CLI.run(["models", "rollback", "tiny", "--root", root.path, "--data-dir", data.path])
        #expect(r.status == 0 && r.stdout == "tiny: active version 1 (was 2)\n", "\(r.stdout)\(r.stderr)")
        #expect(try String(contentsOf: root.appendingPathComponent("tiny/ACTIVE"), encoding: .utf8) == "1\n")
        r = try CLI.run(["models", "rollback", "tiny", "--root", root.path, "--data-dir", data.path])
        #expect(r.status == 1 && r.stderr == "medinfer: tiny: no verified version below 1 to roll back to\n", "\(r.stderr)")
        r = try CLI.run(["models", "activate", "tiny", "2", "--root", root.path, "--data-dir", data.path])
        #expect(r.status == 0 && r.stdout == "tiny: active version 2 (was 1)\n", "\(r.stdout)\(r.stderr)")

        r = try CLI.run(["models", "inspect", "tiny:1", "--root", root.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("name        tiny\nversion     1\ntask        classification\nsha256      \(sha)\n"))
        #expect(r.stdout.contains("\nmodel       \(root.path)/tiny/1/model.onnx\n"))

        r = try CLI.run(["models", "verify", "--root", root.path])
        #expect(r.status == 0 && r.stdout.contains("tiny 2 \(sha.prefix(12)) ok"), "\(r.stdout)\(r.stderr)")

        // Corrupted weights: verify fails with the reason, list shows the refusal, version 1 serves.
        let handle = try FileHandle(forWritingTo: root.appendingPathComponent("tiny/2/model.onnx"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        r = try CLI.run(["models", "verify", "tiny", "--root", root.path])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("medinfer: tiny 2: tiny/2/model.onnx: SHA-256 is "), "\(r.stderr)")
        r = try CLI.run(["models", "list", "--root", root.path, "--json"])
        #expect(r.status == 0 && r.stdout.contains("\"status\" : \"refused\""), "\(r.stdout)")
        #expect(r.stdout.contains("\"active\" : 1"), "\(r.stdout)")
    }

    @Test func inspectStillTakesAFileAndUnknownNamesFail() throws {
        var r = try CLI.run(["models", "inspect", Self.model])
        #expect(r.status == 0 && r.stdout.hasPrefix("model       \(Self.model)\n"), "\(r.stdout)\(r.stderr)")
        let root = CLI.temporaryFile("Models")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        r = try CLI.run(["models", "inspect", "nope:3", "--root", root.path])
        #expect(r.status == 1 && r.stderr.contains("no model named 'nope'"), "\(r.stderr)")
    }
}
