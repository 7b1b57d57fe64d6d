import Foundation
import TestSupport
import Testing

/// `medinfer analyze` with a model whose manifest says `"modalityPolicy": "strict"` (the tiny `opset7`
/// model accepting MR, added with `models add`): refused files are reported as failures, naming the
/// modality, the accepted list and the file, and the other files are analysed.
@Suite struct AnalyzeStrictModalityTests {
    @Test func refusedFilesFailAndTheRestGoOn() throws {
        let base = CLI.temporaryFile("strict")
        defer { try? FileManager.default.removeItem(at: base) }
        let root = base.appendingPathComponent("Models")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let manifest: [String: Any] = [
            "task": "classification",
            "inputs": [["name": "input", "layout": "NCHW", "shape": [-1, 3, 32, 32], "dtype": "float32", "channels": "rgb",
                        "modalities": ["MR"], "modalityPolicy": "strict"]],
            "preprocessing": ["window": "minmax", "resize": ["mode": "area", "width": 32, "height": 32], "scale": 1 / 255.0],
            "outputs": [["name": "output", "activation": "softmax", "labels": ["a", "b", "c"]]],
            "checks": [["input": ["input": "input_b1.npy"], "expected": ["output": "output_b1.npy"], "tolerance": 1e-4]],
        ]
        let manifestFile = base.appendingPathComponent("model.json")
        try JSONSerialization.data(withJSONObject: manifest).write(to: manifestFile)
        var r = try CLI.run(["models", "add", "Tests/Fixtures/onnx-models/opset7/model.onnx", "--name", "strict",
                             "--manifest", manifestFile.path, "--root", root.path])
        #expect(r.status == 0, "\(r.stderr)")

        r = try CLI.run(["analyze", "SampleImages/CT_small.dcm", "SampleImages/MR_small.dcm", "SampleImages/BrainT1Slice.png",
                         "--models-dir", root.path])
        #expect(r.status == 1)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("SampleImages/") }.count == 1, "\(r.stdout)")
        #expect(lines.contains { $0.hasPrefix("SampleImages/MR_small.dcm") && $0.hasSuffix("strict@1") }, "\(r.stdout)")
        #expect(r.stderr == """
            medinfer: SampleImages/CT_small.dcm: refused: modality CT is not among the model's accepted modalities [MR] \
            (modalityPolicy strict)
            medinfer: SampleImages/BrainT1Slice.png: refused: the modality is unknown (no DICOM Modality) and so not \
            among the model's accepted modalities [MR] (modalityPolicy strict)
            medinfer: 1 analysed, 2 failed

            """, "\(r.stderr)")
    }
}
