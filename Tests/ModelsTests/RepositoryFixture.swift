import Foundation
import Models
import Tensor
import TestSupport

/// Builds model repositories in temporary folders from the tiny `opset7` fixture model
/// (input `input` [N,3,32,32], output `output` [N,3]) and its ONNX Runtime reference arrays.
struct RepositoryFixture {
    let root: URL
    static let model = Fixtures.url("onnx-models/opset7/model.onnx")
    static let input = Fixtures.url("onnx-models/opset7/input_b1.npy")
    static let expected = Fixtures.url("onnx-models/opset7/output_b1.npy")

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-models-\(UUID().uuidString)/Models")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }

    /// A manifest for the fixture model; `sha256` is filled in by `writeVersion`.
    static func manifest(name: String, version: Int, tolerance: Double = 1e-4) -> [String: Any] {
        [
            "name": name, "version": version, "task": "classification",
            "inputs": [["name": "input", "layout": "NCHW", "shape": [-1, 3, 32, 32], "dtype": "float32", "channels": "rgb",
                        "modalities": ["MR"]]],
            "preprocessing": ["window": "minmax", "resize": ["mode": "area", "width": 32, "height": 32], "scale": 1,
                              "mean": [0.5], "std": [0.25]],
            "outputs": [["name": "output", "activation": "softmax", "labels": ["a", "b", "c"], "thresholds": [0.5, 0.5, 0.5]]],
            "license": "CC0", "source": "Scripts/make_onnx_models.py", "intendedUse": "tests", "limitations": "none",
            "checks": [["input": ["input": "input.npy"], "expected": ["output": "expected.npy"], "tolerance": tolerance]],
        ]
    }

    /// Writes `<root>/<name>/<version>/` with the model, the canary arrays and a manifest whose checksums are
    /// right unless `edit` changes them afterwards. `expected` replaces the canary's expected output.
    @discardableResult
    func writeVersion(_ name: String, _ version: Int, expected: Tensor? = nil, tolerance: Double = 1e-4,
                      edit: (inout [String: Any]) -> Void = { _ in }) throws -> URL {
        let dir = root.appendingPathComponent(name).appendingPathComponent(String(version))
        let fm = FileManager.default
        // Built beside, then renamed in, like `addVersion`: a half-written folder is never scanned.
        let tmp = root.appendingPathComponent(name).appendingPathComponent(".tmp-\(UUID().uuidString)")
        try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        try fm.copyItem(at: Self.model, to: tmp.appendingPathComponent("model.onnx"))
        try fm.copyItem(at: Self.input, to: tmp.appendingPathComponent("input.npy"))
        if let expected {
            try NPY.write(expected, to: tmp.appendingPathComponent("expected.npy"))
        } else {
            try fm.copyItem(at: Self.expected, to: tmp.appendingPathComponent("expected.npy"))
        }
        var m = Self.manifest(name: name, version: version, tolerance: tolerance)
        m["sha256"] = ["model.onnx": try FileChecksum.sha256(of: tmp.appendingPathComponent("model.onnx"))]
        edit(&m)
        try JSONSerialization.data(withJSONObject: m, options: [.sortedKeys]).write(to: tmp.appendingPathComponent("model.json"))
        try fm.moveItem(at: tmp, to: dir)
        return dir
    }

    /// The canary input and its ONNX Runtime output.
    static func canary() throws -> (input: Tensor, expected: Tensor) {
        (try NPY.read(from: input), try NPY.read(from: expected))
    }
}
