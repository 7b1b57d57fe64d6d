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

/// The default model on `SampleImages/CR_chest.dcm` (a PA chest CR in MONOCHROME1, `Scripts/make_sample_images.py`):
/// probabilities within 1e-4 of ONNX Runtime on the same preprocessing, and both halves of the guard's warning.
@Suite(.onComputeThreads) struct AnalyzerChestCRTests {
    @Test func chestCRAgainstONNXRuntime() throws {
        let manifest = try AnalyzerTests.manifest()
        let url = AnalyzerTests.modelDir.appendingPathComponent("model.onnx")
        let model = try Model(graph: ONNXModel.load(contentsOf: url), options: CompileOptions(threads: 2))
        let analyzer = try Analyzer(model: LoadedModel(manifest: manifest, directory: AnalyzerTests.modelDir,
                                                       sha256: manifest.sha256["model.onnx"]!, model: model))
        let image = try AnalyzerTests.decode("CR_chest.dcm")
        #expect(image.photometricInterpretation == "MONOCHROME1" && image.rows == 488 && image.columns == 460)
        let r = try #require(try analyzer.analyze([AnalysisInput(image: image, path: "CR_chest.dcm")]).first)
        let ref = try Tensor.fixture("default-model/CR_chest.dcm.probs.npy").doubles()
        let mine = manifest.outputs[0].labels.map { l in r.findings.first { $0.label == l }!.probability }
        let d = try #require(difference(mine, ref))
        #expect(d.maxAbs <= 1e-4, "\(d)")
        // What SampleImages/README.md says: glioma on top, below its 0.5 threshold, so not flagged.
        #expect(r.topFinding?.label == "glioma" && r.topFinding?.positive == false)
        #expect(r.source.modality == "CR")
        #expect(r.warnings == ["modality CR is not among the model's accepted modalities [MR]",
                               "body part CHEST is not among the model's accepted body parts [BRAIN, HEAD]"])
    }
}
