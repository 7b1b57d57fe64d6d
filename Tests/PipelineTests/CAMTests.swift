import Annotations
import Engine
import Foundation
import Models
import Pipeline
import Tensor
import TestSupport
import Testing

/// Class activation maps: the head found in the tiny classifier's graph, the map against numpy's from ONNX
/// Runtime's feature map (`tiny-reference/classifier_*.npy`), and graphs the matcher must refuse.
@Suite(.onComputeThreads) struct CAMTests {
    @Test func headOfTheTinyClassifier() throws {
        let model = try TinyModels.load("tiny-classifier")
        let head = try CAMHead.find(in: model.model.graph, output: "logits").get()
        #expect(head.feature == "features" && head.featureLayout == .nchw)
        #expect(head.classes == 3 && head.channels == 8 && head.output == "logits")
    }

    /// Our feature map, logits and CAM (at 16×16 and resized to the 96×80 source) within 1e-4 of the
    /// script's ORT + numpy values.
    @Test func camMatchesNumpyReference() throws {
        let model = try TinyModels.load("tiny-classifier")
        let head = try CAMHead.find(in: model.model.graph, output: "logits").get()
        let input = try TinyModels.reference("classifier_input.npy")
        let out = try model.run(["image": input], extraOutputs: [head.feature])
        let features = try #require(out["features"])
        let logits = try #require(out["logits"])
        #expect(features.shape == [1, 8, 16, 16])
        let df = try #require(difference(features.doubles(), TinyModels.reference("classifier_features.npy").doubles()))
        #expect(df.maxAbs <= 1e-4, "features: \(df)")
        let refLogits = try TinyModels.reference("classifier_logits.npy").doubles()
        let dl = try #require(difference(logits.doubles(), refLogits))
        #expect(dl.maxAbs <= 1e-4, "logits: \(dl)")
        let top = try #require(refLogits.indices.max { refLogits[$0] < refLogits[$1] })
        let index = try TinyModels.index()
        #expect((index["classifier"] as? [String: Any])?["topClass"] as? Int == top)

        let map = try head.map(features: features, image: 0, classIndex: top, label: "bright-spot")
        #expect(map.method == .cam && map.width == 16 && map.height == 16 && map.label == "bright-spot")
        #expect(map.values.max() == 1 && map.values.min() ?? -1 >= 0)
        let dc = try #require(difference(map.values.map(Double.init), TinyModels.reference("classifier_cam.npy").doubles()))
        #expect(dc.maxAbs <= 1e-4, "cam: \(dc)")
        let resized = try map.resized(rows: 96, columns: 80)
        let ds = try #require(difference(resized.map(Double.init),
                                         TinyModels.reference("classifier_cam_source.npy").doubles()))
        #expect(ds.maxAbs <= 1e-4, "cam at 96×80: \(ds)")
    }

    /// The Analyzer makes the same map through the whole pipeline (an image that is the reference input).
    @Test func analyzerHeatmapIsTheCAM() throws {
        let model = try TinyModels.load("tiny-classifier")
        let input = try TinyModels.reference("classifier_input.npy").floats()
        // The reference input is k/255 on the model's 64×64 grid: as an 8-bit PNG (stored / 255, no resize)
        // it preprocesses to itself.
        let image = try TinyModels.grayImage(rows: 64, columns: 64) { y, x in UInt8((input[y * 64 + x] * 255).rounded()) }
        let analyzer = try Analyzer(model: model)
        let a = try analyzer.analyses([analyzer.prepare(AnalysisInput(image: image))], options: AnalysisOptions(overlays: true))
        let heatmap = try #require(a.first?.heatmap)
        #expect(heatmap.method == .cam && heatmap.label == a.first?.report.topFinding?.label)
        let d = try #require(difference(heatmap.values.map(Double.init), TinyModels.reference("classifier_cam.npy").doubles()))
        #expect(d.maxAbs <= 1e-4, "\(d)")
        let overlay = try #require(a.first?.overlay)
        #expect(overlay.kind == .heatmap && overlay.width == 64 && overlay.height == 64 && overlay.rgb.count == 64 * 64 * 3)
    }

    // MARK: graphs without a CAM head

    static func node(_ op: String, _ inputs: [String], _ output: String, _ attributes: [String: Attribute] = [:]) -> Node {
        Node(name: output, opType: op, inputs: inputs, outputs: [output], attributes: attributes)
    }

    static func graph(_ nodes: [Node], output: String = "y", initializers: [String: Tensor]) -> Graph {
        Graph(nodes: nodes, inputs: [ValueInfo(name: "x", dtype: .float32, shape: nil)],
              outputs: [ValueInfo(name: output, dtype: .float32, shape: nil)], initializers: initializers, opset: 13)
    }

    static let w = try! Tensor(shape: [3, 2], values: [Float](arrayLiteral: 1, 2, 3, 4, 5, 6))
    static let convW = try! Tensor(shape: [2, 1, 3, 3], values: [Float](repeating: 0.1, count: 18))

    /// VGG16's end: the conv features are flattened straight into the dense layer.
    @Test func refusesFlattenWithoutPooling() {
        let g = Self.graph([Self.node("Conv", ["x", "cw"], "f"), Self.node("Flatten", ["f"], "flat"),
                            Self.node("MatMul", ["flat", "w"], "y")], initializers: ["cw": Self.convW, "w": Self.w])
        #expect(CAMHead.find(in: g, output: "y") == .failure(.notGlobalAveragePool(node: "f", opType: "Conv")))
    }

    @Test func refusesAConvolutionalOutput() throws {
        let model = try TinyModels.load("tiny-segmenter")
        guard case .failure(.notLinear(_, let op)) = CAMHead.find(in: model.model.graph, output: "mask_logits") else {
            Issue.record("the segmenter's graph was not refused as notLinear")
            return
        }
        #expect(op == "Conv")
    }

    @Test func refusesMaxPoolingRuntimeWeightsAndOtherAxes() {
        let gmp = Self.graph([Self.node("GlobalMaxPool", ["x"], "p"), Self.node("Flatten", ["p"], "flat"),
                              Self.node("Gemm", ["flat", "w"], "y")], initializers: ["w": Self.w])
        #expect(CAMHead.find(in: gmp, output: "y") == .failure(.notGlobalAveragePool(node: "p", opType: "GlobalMaxPool")))

        let runtime = Self.graph([Self.node("GlobalAveragePool", ["x"], "p"), Self.node("Flatten", ["p"], "flat"),
                                  Self.node("Gemm", ["flat", "x"], "y")], initializers: [:])
        guard case .failure(.unsupportedLinear(node: "y", _)) = CAMHead.find(in: runtime, output: "y") else {
            Issue.record("Gemm with run-time weights was not refused")
            return
        }
        let channels = Self.graph([Self.node("ReduceMean", ["x"], "p", ["axes": .ints([1]), "keepdims": .int(0)]),
                                   Self.node("MatMul", ["p", "w"], "y")], initializers: ["w": Self.w])
        guard case .failure(.unsupportedReduction(node: "p", _)) = CAMHead.find(in: channels, output: "y") else {
            Issue.record("ReduceMean over channels was not refused")
            return
        }
        #expect(CAMHead.find(in: Self.graph([], output: "x", initializers: [:]), output: "x")
                == .failure(.noProducer(value: "x")))
    }

    /// Keras's shape: ReduceMean over axes 1, 2 (NHWC) -> MatMul W[C, K] -> Add bias -> Softmax.
    @Test func acceptsReduceMeanMatMulAddSoftmax() throws {
        let b = try Tensor(shape: [2], values: [Float](arrayLiteral: 0.5, -0.5))
        let g = Self.graph([Self.node("ReduceMean", ["x"], "p", ["axes": .ints([1, 2]), "keepdims": .int(0)]),
                            Self.node("MatMul", ["p", "w"], "m"), Self.node("Add", ["m", "b"], "logits"),
                            Self.node("Softmax", ["logits"], "y")], initializers: ["w": Self.w, "b": b])
        let head = try CAMHead.find(in: g, output: "y").get()
        #expect(head.featureLayout == .nhwc && head.feature == "x" && head.classes == 2 && head.channels == 3)
        // W is [C=3, K=2]; the head holds it as [K, C].
        #expect(head.weights == [1, 3, 5, 2, 4, 6])
        // NHWC features [1, 1, 2, 3]: pixel 0 has channels (1, 0, 0), pixel 1 (0, 0, 1); class 1 weighs them 2 and 6.
        let f = try Tensor(shape: [1, 1, 2, 3], values: [Float](arrayLiteral: 1, 0, 0, 0, 0, 1))
        let map = try head.map(features: f, image: 0, classIndex: 1, label: "b")
        #expect(map.width == 2 && map.height == 1 && map.values == [2 / 6, 1])
        #expect(throws: PipelineError.self) { try head.map(features: f, image: 1, classIndex: 1, label: "b") }
        let wrongChannels = try Tensor(shape: [1, 1, 2, 2], values: [Float](repeating: 1, count: 4))
        #expect(throws: PipelineError.self) { try head.map(features: wrongChannels, image: 0, classIndex: 0, label: "a") }
    }
}
