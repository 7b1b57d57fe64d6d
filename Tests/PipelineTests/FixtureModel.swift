import Engine
import Foundation
import Imaging
import Models
import ONNX
import Pipeline
import TestSupport

/// The tiny fixture models `onnx-models/opset7` (output `output` [N, 3]) and `opset11` ([N, 4]), both with
/// input `input` [N, 3, 32, 32], under manifests made here: as a `LoadedModel`, or added as versions of a
/// repository in a temporary folder (through `ModelRepository.addVersion`, canary included).
enum FixtureModel {
    /// A manifest for `fixture` whose labels are `label0`, `label1`, ... (as many as the model's classes).
    static func manifest(_ fixture: String = "opset7", name: String = "tiny",
                         input edit: (inout [String: Any]) -> Void = { _ in }) -> [String: Any] {
        let classes = fixture == "opset11" ? 4 : 3
        var input: [String: Any] = ["name": "input", "layout": "NCHW", "shape": [-1, 3, 32, 32], "dtype": "float32",
                                    "channels": "rgb", "modalities": ["MR"]]
        edit(&input)
        return [
            "name": name, "version": 1, "task": "classification", "inputs": [input],
            "preprocessing": ["window": "minmax", "resize": ["mode": "area", "width": 32, "height": 32], "scale": 1 / 255.0],
            "outputs": [["name": "output", "activation": "softmax", "labels": (0..<classes).map { "label\($0)" }]],
            "sha256": ["model.onnx": String(repeating: "0", count: 64)],
            "checks": [["input": ["input": "input_b1.npy"], "expected": ["output": "output_b1.npy"], "tolerance": 1e-4]],
        ]
    }

    static func modelURL(_ fixture: String) -> URL { Fixtures.url("onnx-models/\(fixture)/model.onnx") }

    /// The fixture compiled under `manifest` (no repository, no checksum check).
    static func loaded(_ fixture: String = "opset7", manifest: [String: Any]) throws -> LoadedModel {
        let m = try ModelManifest.parse(try JSONSerialization.data(withJSONObject: manifest))
        let model = try Model(graph: ONNXModel.load(contentsOf: modelURL(fixture)), options: CompileOptions(threads: 1))
        return LoadedModel(manifest: m, directory: modelURL(fixture).deletingLastPathComponent(),
                           sha256: try FileChecksum.sha256(of: modelURL(fixture)), model: model)
    }

    /// Adds `fixture` as the next version of `name` in the repository at `root`; returns the version.
    @discardableResult
    static func addVersion(root: URL, _ fixture: String, name: String = "tiny") throws -> Int {
        let file = root.deletingLastPathComponent().appendingPathComponent("manifest-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: manifest(fixture, name: name)).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try ModelRepository.addVersion(root: root, modelFile: modelURL(fixture), name: name, manifest: file)
    }

    /// A sample image, decoded.
    static func image(_ name: String) throws -> DecodedImage {
        try Imaging.decode(Data(contentsOf: Fixtures.packageRoot.appendingPathComponent("SampleImages/\(name)")))
    }
}
