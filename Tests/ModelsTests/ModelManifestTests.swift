import Foundation
import Models
import Testing
import TestSupport

@Suite(.onComputeThreads) struct ModelManifestTests {
    static func json(_ edit: (inout [String: Any]) -> Void = { _ in }) throws -> Data {
        var m = RepositoryFixture.manifest(name: "tiny", version: 1)
        m["sha256"] = ["model.onnx": String(repeating: "ab", count: 32)]
        edit(&m)
        return try JSONSerialization.data(withJSONObject: m)
    }

    /// The error message a manifest edited by `edit` is refused with.
    static func error(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let data = try json(edit)
        do {
            _ = try ModelManifest.parse(data, file: "model.json")
            return "parsed"
        } catch { return error.description }
    }

    @Test func validManifestParses() throws {
        let m = try ModelManifest.parse(try Self.json())
        #expect(m.name == "tiny" && m.version == 1 && m.task == .classification)
        #expect(m.inputs[0].shape == [nil, 3, 32, 32])
        #expect(m.inputs[0].layout == .nchw && m.inputs[0].channels == .rgb && m.inputs[0].modalities == ["MR"])
        #expect(m.preprocessing?.window == .minmax)
        #expect(m.preprocessing?.resize?.mode == .area && m.preprocessing?.resize?.width == 32)
        #expect(m.outputs[0].activation == .softmax && m.outputs[0].labels == ["a", "b", "c"])
        #expect(m.checks.count == 1 && m.checks[0].inputs == ["input": "input.npy"])
    }

    @Test func batchingDefaultsForTheQueue() throws {
        #expect(try ModelManifest.parse(try Self.json()).batching == nil)
        let m = try ModelManifest.parse(try Self.json { $0["batching"] = ["maxBatchSize": 8, "maxDelayMs": 20] })
        #expect(m.batching == ModelManifest.Batching(maxBatchSize: 8, maxDelayMs: 20))
        #expect(try Self.error { $0["batching"] = ["maxBatchSize": 0, "maxDelayMs": 20] }
            == "model.json: batching.maxBatchSize: must be at least 1, got 0")
        #expect(try Self.error { $0["batching"] = ["maxBatchSize": 4] } == "model.json: batching.maxDelayMs: missing (required)")
    }

    @Test func windowForms() throws {
        func window(_ value: Any) throws -> ModelManifest.Window? {
            try ModelManifest.parse(try Self.json { m in
                var p = m["preprocessing"] as! [String: Any]
                p["window"] = value
                m["preprocessing"] = p
            }).preprocessing?.window
        }
        #expect(try window(["center": 40, "width": 400]) == .explicit(center: 40, width: 400))
        #expect(try window(["stored": 1]) == .stored(index: 1))
        #expect(try window("stored") == .stored(index: 0))
        #expect(try window("minmax") == .minmax)
    }

    /// `heatmap`: absent means auto; each method parses; anything else names the field and the choices.
    @Test func heatmapMethod() throws {
        #expect(try ModelManifest.parse(try Self.json()).heatmap == .auto)
        for method in ModelManifest.HeatmapMethod.allCases {
            #expect(try ModelManifest.parse(try Self.json { $0["heatmap"] = method.rawValue }).heatmap == method)
        }
        #expect(try Self.error { $0["heatmap"] = "gradcam" }
                == "model.json: heatmap: 'gradcam' is not one of 'auto', 'cam', 'occlusion', 'none'")
    }

    @Test func errorsNameTheJSONPath() throws {
        #expect(try Self.error { m in
            m["outputs"] = [["name": "output", "labels": 3]]
        } == "model.json: outputs[0].labels: expected an array of strings, got a number")
        #expect(try Self.error { m in
            m["outputs"] = [["name": "output", "labels": ["a", true]]]
        } == "model.json: outputs[0].labels[1]: expected a string, got a boolean")
        #expect(try Self.error { m in
            m["inputs"] = [["name": "input", "shape": [-1, 3], "dtype": "float32", "channels": "rgb"]]
        } == "model.json: inputs[0].layout: missing (required)")
        #expect(try Self.error { m in
            m["inputs"] = [["name": "input", "layout": "CHW", "shape": [-1, 3], "dtype": "float32", "channels": "rgb"]]
        } == "model.json: inputs[0].layout: 'CHW' is not one of 'NCHW', 'NHWC'")
        #expect(try Self.error { $0["version"] = "1" } == "model.json: version: expected an integer, got a string")
        #expect(try Self.error { $0["task"] = "detection" }
            == "model.json: task: 'detection' is not one of 'classification', 'segmentation'")
        #expect(try Self.error { $0["sha256"] = ["weights.bin": String(repeating: "0", count: 64)] }
            == "model.json: sha256: must list model.onnx")
        #expect(try Self.error { $0["sha256"] = ["model.onnx": "abc"] } == "model.json: sha256.model.onnx: expected 64 hex digits")
        #expect(try Self.error { m in
            m["checks"] = [["input": ["input": "../x.npy"], "expected": ["output": "y.npy"], "tolerance": 0]]
        } == "model.json: checks[0].input.input: '../x.npy' must be a path relative to the version folder, without '..'")
        #expect(try Self.error { m in
            m["outputs"] = [["name": "output", "labels": ["a", "b"], "thresholds": [0.5]]]
        } == "model.json: outputs[0].thresholds: has 1 values for 2 labels")
        #expect(try Self.error { m in
            m["preprocessing"] = ["mean": [0.5, 0.5]]
        } == "model.json: preprocessing.mean: has 2 values; expected 1 or one per channel (3)")
        #expect(try Self.error { m in
            m["preprocessing"] = ["window": 3]
        }.hasPrefix("model.json: preprocessing.window: expected {\"center\", \"width\"}"))
    }

    @Test func invalidJSONIsReported() {
        #expect(throws: ModelsError.self) { try ModelManifest.parse(Data("{\"name\": ".utf8)) }
        do {
            _ = try ModelManifest.parse(Data("[1]".utf8), file: "x/model.json")
        } catch {
            #expect(error.description == "x/model.json: (root): expected an object, got an array")
        }
    }
}
