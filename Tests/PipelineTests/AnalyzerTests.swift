import Core
import Annotations
import Engine
import Foundation
import Imaging
import Models
import ONNX
import Pipeline
import Tensor
import TestSupport
import Testing

/// The default model's preprocessing against `Scripts/make_default_model_fixtures.py` (Pillow/numpy), and the
/// Analyzer's probabilities against ONNX Runtime's (`Tests/Fixtures/default-model`).
@Suite(.onComputeThreads) struct AnalyzerTests {
    static let modelDir = Fixtures.packageRoot.appendingPathComponent("Models/brain-mri-tumor/1")

    static func manifest() throws -> ModelManifest {
        try ModelManifest.load(contentsOf: modelDir.appendingPathComponent("model.json"))
    }

    static func decode(_ name: String) throws -> DecodedImage {
        try Imaging.decode(Data(contentsOf: Fixtures.packageRoot.appendingPathComponent("SampleImages/\(name)")))
    }

    /// Every sample image: our tensor equals the Python reference within 1e-3.
    @Test(arguments: [
        "BrainMidSagittalSlice.png", "BrainProtonDensitySlice.png", "BrainT1Slice.png", "CR_chest.dcm", "CT_head.dcm",
        "CT_small.dcm", "MONOCHROME1_crop.dcm", "MR_small.dcm", "SC_rgb_rle.dcm", "ch2_axial.dcm",
        "ch2_axial.jpg", "gray16.png", "orientation6.jpg",
    ])
    func preprocessingMatchesPillowReference(_ name: String) throws {
        let pre = try Preprocessor(manifest: Self.manifest())
        #expect(pre.sampleShape == [240, 240, 3])
        let (values, applied) = try pre.values(for: Self.decode(name))
        let ref = try Tensor.fixture("default-model/\(name).input.npy")
        #expect(ref.shape == [1, 240, 240, 3])
        let d = try #require(difference(values.map(Double.init), ref.doubles()))
        #expect(d.maxAbs <= 1e-3, "\(name): \(d)")
        #expect(applied.normalize == "x/255")
    }

    /// A PNG, an MR DICOM and the head CT as one batch: probabilities within 1e-4 of ORT, the weights'
    /// SHA-256 in every report, and the modality guard's warnings.
    @Test func analyzerMatchesONNXRuntime() throws {
        let manifest = try Self.manifest()
        let url = Self.modelDir.appendingPathComponent("model.onnx")
        let sha = try FileChecksum.sha256(of: url)
        #expect(sha == manifest.sha256["model.onnx"])
        let model = try Model(graph: ONNXModel.load(contentsOf: url), options: CompileOptions(threads: 2))
        let analyzer = try Analyzer(model: LoadedModel(manifest: manifest, directory: Self.modelDir, sha256: sha, model: model))
        let names = ["BrainMidSagittalSlice.png", "MR_small.dcm", "CT_head.dcm"]
        let reports = try analyzer.analyze(names.map { AnalysisInput(image: try Self.decode($0), path: $0) }, job: "j1")
        #expect(reports.count == 3)
        let labels = manifest.outputs[0].labels
        for (i, (name, r)) in zip(names, reports).enumerated() {
            #expect(r.image == i && r.job == "j1" && r.source.path == name)
            #expect(r.model.sha256 == manifest.sha256["model.onnx"])
            #expect(r.model.name == "brain-mri-tumor" && String(r.model.version) == "1")
            #expect(r.engine.batchSize == 3)
            #expect(r.overlays.isEmpty)
            #expect(r.disclaimer == "decision aid, not a diagnosis")
            #expect(r.findings.map(\.probability) == r.findings.map(\.probability).sorted(by: >))
            let ref = try Tensor.fixture("default-model/\(name).probs.npy").doubles()
            let mine = labels.map { l in r.findings.first { $0.label == l }!.probability }
            let d = try #require(difference(mine, ref))
            #expect(d.maxAbs <= 1e-4, "\(name): \(d)")
            for f in r.findings { #expect(f.positive == (f.probability >= f.threshold) && f.threshold == 0.5) }
        }
        #expect(reports[0].source.format == "png" && reports[0].source.modality == nil)
        #expect(reports[0].warnings == ["modality unknown (PNG has no DICOM Modality); the model accepts [MR]"])
        #expect(reports[1].source.modality == "MR" && reports[1].source.sopInstanceUID != nil)
        #expect(!reports[1].warnings.contains { $0.hasPrefix("modality") })
        #expect(reports[2].source.modality == "CT")
        #expect(reports[2].warnings.contains("modality CT is not among the model's accepted modalities [MR]"))
        #expect(reports[2].preprocessing.window != nil && reports[2].preprocessing.resize == "bicubic 240x240")

        // The JSON round-trips and carries the §3.4 keys.
        let line = try reports[2].jsonLine()
        #expect(!line.contains("\n"))
        let decoded = try JSONDecoder().decode(Report.self, from: Data(line.utf8))
        #expect(decoded == reports[2])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(Set(object.keys).isSuperset(of: ["job", "image", "model", "source", "preprocessing", "findings", "overlays",
                                                 "warnings", "engine", "createdAt", "disclaimer"]))
    }

    @Test func activations() {
        let s = Analyzer.activate([1, 2, 3], .softmax)
        #expect(abs(s.reduce(0, +) - 1) < 1e-12 && s[2] > s[1])
        #expect(Analyzer.activate([0], .sigmoid) == [0.5])
        #expect(Analyzer.activate([0.25, 3], .none) == [0.25, 3])
    }
}
