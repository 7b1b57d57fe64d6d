import Engine
import Foundation
import ONNX
import Tensor
import TestSupport
import Testing

/// The ONNX backend node tests (onnx 1.22.0, Apache-2.0) for the supported operators, run from the committed
/// list `node-tests.txt`: a plain line must pass; "# name: reason" is an excluded case with its reason.
@Suite struct NodeConformanceTests {
    struct Entry: Sendable, CustomTestStringConvertible {
        var name: String
        var testDescription: String { name }
    }

    static let list: (run: [Entry], excluded: [String: String]) = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("node-tests.txt")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        var run: [Entry] = [], excluded: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("# test_") {
                let body = line.dropFirst(2)
                let name = String(body.prefix { $0 != ":" })
                excluded[name] = String(body.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("test_") {
                run.append(Entry(name: line))
            }
        }
        return (run, excluded)
    }()

    /// Every copied test is either in the pass list or excluded with a reason.
    @Test func everyCopiedTestIsListed() throws {
        let dirs = try FileManager.default.contentsOfDirectory(atPath: Fixtures.url("onnx-node").path).filter { $0.hasPrefix("test_") }
        let listed = Set(Self.list.run.map(\.name)).union(Self.list.excluded.keys)
        #expect(dirs.count > 300)
        let unlisted = dirs.filter { !listed.contains($0) }.sorted()
        #expect(unlisted.isEmpty, "neither passing nor excluded with a reason: \(unlisted)")
        let noReason = Self.list.excluded.filter { $0.value.isEmpty }.map(\.key).sorted()
        #expect(noReason.isEmpty, "excluded without a reason: \(noReason)")
    }

    @Test(arguments: list.run)
    func nodeTestPasses(_ e: Entry) throws {
        try #require(NodeCase.run(e.name) == nil)
    }
}

/// Runs one node test; nil on success, else the reason.
enum NodeCase {
    static func run(_ name: String) -> String? {
        let dir = Fixtures.url("onnx-node/\(name)")
        do {
            let model = try Model(graph: ONNXModel.load(contentsOf: dir.appendingPathComponent("model.onnx")))
            let data = dir.appendingPathComponent("test_data_set_0")
            func load(_ prefix: String) throws -> [(String, Tensor)] {
                var out: [(String, Tensor)] = []
                var i = 0
                while FileManager.default.fileExists(atPath: data.appendingPathComponent("\(prefix)_\(i).pb").path) {
                    out.append(try ONNXModel.tensor(fromTensorProto: Data(contentsOf: data.appendingPathComponent("\(prefix)_\(i).pb"))))
                    i += 1
                }
                return out
            }
            let inputs = try load("input"), expected = try load("output")
            var feeds: [String: Tensor] = [:]
            for (i, (_, t)) in inputs.enumerated() where i < model.graph.inputs.count { feeds[model.graph.inputs[i].name] = t }
            let outputs = try model.run(feeds)
            for (i, (_, want)) in expected.enumerated() {
                guard i < model.graph.outputs.count, let got = outputs[model.graph.outputs[i].name] else { return "output \(i) missing" }
                guard got.shape == want.shape else { return "output \(i) shape \(got.shape), expected \(want.shape)" }
                let a = got.doubles(), b = want.doubles()
                let exact = ![DType.float32, .float64].contains(want.dtype)
                for j in a.indices {
                    let ok = a[j] == b[j] || (!exact && (abs(a[j] - b[j]) <= 1e-5 + 1e-3 * abs(b[j]) || (a[j].isNaN && b[j].isNaN)))
                    if !ok { return "output \(i)[\(j)] = \(a[j]), expected \(b[j])" }
                }
            }
            return nil
        } catch {
            return "\(error)"
        }
    }
}

/// Prints the pass list with reasons when MEDINFER_NODE_TESTS_REGENERATE=1 (used to refresh node-tests.txt).
@Test func regenerateNodeTestList() throws {
    guard ProcessInfo.processInfo.environment["MEDINFER_NODE_TESTS_REGENERATE"] == "1" else { return }
    let dirs = try FileManager.default.contentsOfDirectory(atPath: Fixtures.url("onnx-node").path).filter { $0.hasPrefix("test_") }.sorted()
    var lines: [String] = []
    for d in dirs {
        if let reason = NodeCase.run(d) {
            lines.append("# \(d): \(reason.replacingOccurrences(of: "\n", with: " ").prefix(160))")
        } else {
            lines.append(d)
        }
    }
    print("NODE-TESTS-BEGIN\n" + lines.joined(separator: "\n") + "\nNODE-TESTS-END")
}
