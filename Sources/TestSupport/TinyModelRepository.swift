public import Foundation
import Models

/// A model repository in a temporary folder holding the tiny `opset7` fixture model (input [N,3,32,32],
/// three softmax labels), so tests of the queue and the worker stay fast in debug builds.
public struct TinyModelRepository {
    /// `<tmp>/Models`
    public let root: URL
    public static let name = "tiny"

    /// `batching`: the manifest's `{maxBatchSize, maxDelayMs}` when given; `heatmap`: the manifest's method
    /// (the model's graph has a class activation map, so `auto` makes one).
    public init(batching: (maxBatch: Int, maxDelayMs: Int)? = nil, heatmap: String? = nil) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-tiny-\(UUID().uuidString)")
        root = base.appendingPathComponent("Models", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var manifest: [String: Any] = [
            "name": Self.name, "version": 1, "task": "classification",
            "inputs": [["name": "input", "layout": "NCHW", "shape": [-1, 3, 32, 32], "dtype": "float32", "channels": "rgb"]],
            "preprocessing": ["window": "minmax", "resize": ["mode": "area", "width": 32, "height": 32], "scale": 1,
                              "mean": [0.5], "std": [0.25]],
            "outputs": [["name": "output", "activation": "softmax", "labels": ["a", "b", "c"]]],
            "sha256": ["model.onnx": String(repeating: "0", count: 64)],
            "license": "CC0", "source": "Scripts/make_onnx_models.py", "intendedUse": "tests", "limitations": "none",
        ]
        if let heatmap { manifest["heatmap"] = heatmap }
        if let batching { manifest["batching"] = ["maxBatchSize": batching.maxBatch, "maxDelayMs": batching.maxDelayMs] }
        let file = base.appendingPathComponent("model.json")
        try JSONSerialization.data(withJSONObject: manifest).write(to: file)
        _ = try ModelRepository.addVersion(root: root, modelFile: Fixtures.url("onnx-models/opset7/model.onnx"),
                                           name: Self.name, manifest: file)
    }

    /// Removes the whole temporary folder.
    public func remove() { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }

    /// Small PNG fixtures the tiny model accepts (grey and palette images, resized to 32x32).
    public static let images = ["gray8.png", "gray16.png", "palette8.png", "gray4.png", "gray8_adam7.png", "palette4.png"]
        .map { Fixtures.url("png/\($0)") }
}
