import Engine
import Foundation
import ONNX
import Tensor
import TestSupport
import Testing

/// The ONNX backend node tests (onnx 1.22.0, Apache-2.0) for the supported operators, run from the committed
/// list `node-tests.txt`: a plain line must pass; "# name: reason" is an excluded case with its reason.
/// `Scripts/regenerate-node-tests.sh` rewrites the list after an engine change.
@Suite(.onComputeThreads) struct NodeConformanceTests {
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
        try #require(ONNXNodeCase.run(e.name) == nil)
    }
}
