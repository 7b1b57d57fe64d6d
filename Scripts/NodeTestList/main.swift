// Rewrites Tests/ONNXTests/node-tests.txt: every copied ONNX backend node test, as a plain line when it
// passes and as "# name: reason" when it does not. Run by Scripts/regenerate-node-tests.sh; review every
// line that moves before committing.
import Foundation
import TestSupport

let header = """
    # ONNX backend node tests (onnx 1.22.0, Tests/Fixtures/onnx-node, Apache-2.0) for the supported operators.
    # A plain line must pass (Tests/ONNXTests/NodeConformanceTests.swift). "# test_name: reason" is excluded;
    # the reason is the engine's own error or the first mismatch. Regenerate after engine changes with
    #   Scripts/regenerate-node-tests.sh
    # and review every line that moves.
    """

let folder = Fixtures.url("onnx-node")
let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("test_") }.sorted()
var lines = [header]
for name in names {
    if let reason = ONNXNodeCase.run(name) {
        lines.append("# \(name): \(reason.replacingOccurrences(of: "\n", with: " ").prefix(160))")
    } else {
        lines.append(name)
    }
}
let output = CommandLine.arguments.dropFirst().first ?? Fixtures.packageRoot.appendingPathComponent("Tests/ONNXTests/node-tests.txt").path
try (lines.joined(separator: "\n") + "\n").write(toFile: output, atomically: true, encoding: .utf8)
let passing = lines.dropFirst().filter { !$0.hasPrefix("#") }.count
print("\(output): \(passing) of \(names.count) node tests pass")
