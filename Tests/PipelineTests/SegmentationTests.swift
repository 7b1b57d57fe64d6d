import Annotations
import Foundation
@testable import Models
import Pipeline
import Tensor
import TestSupport
import Testing

/// The tiny segmenter's mask against the script's (ORT logits, numpy sigmoid, bilinear resize to 100×120,
/// threshold 0.5).
@Suite(.onComputeThreads) struct SegmentationTests {
    @Test func maskMatchesNumpyReference() throws {
        let model = try TinyModels.load("tiny-segmenter")
        let spec = model.manifest.outputs[0]
        let out = try model.run(["image": TinyModels.reference("segmenter_input.npy")])
        let logits = try #require(out["mask_logits"])
        let dl = try #require(difference(logits.doubles(), TinyModels.reference("segmenter_logits.npy").doubles()))
        #expect(dl.maxAbs <= 1e-4, "logits: \(dl)")

        let masks = try SegmentationMask.masks(output: logits, image: 0, spec: spec, rows: 100, columns: 120)
        let m = try #require(masks.first)
        #expect(masks.count == 1 && m.label == "lesion" && m.threshold == 0.5 && m.rows == 100 && m.columns == 120)
        let refProb = try TinyModels.reference("segmenter_prob_source.npy").doubles()
        let dp = try #require(difference(m.probabilities.map(Double.init), refProb))
        #expect(dp.maxAbs <= 1e-4, "probabilities: \(dp)")
        // Equal masks, except where the reference sits within the tolerance of the threshold.
        let refMask = try TinyModels.reference("segmenter_mask_source.npy").doubles()
        var ambiguous = 0
        for i in refMask.indices {
            if abs(refProb[i] - 0.5) <= 1e-4 { ambiguous += 1; continue }
            #expect(m.mask[i] == (refMask[i] == 1), "pixel \(i)")
        }
        let seg = try #require(try TinyModels.index()["segmenter"] as? [String: Any])
        let pixels = try #require(seg["positivePixels"] as? Int)
        #expect(abs(m.positivePixels - pixels) <= ambiguous)
        #expect(pixels > 100 && pixels < 100 * 120 / 2, "the reference mask should be neither empty nor everything")
        #expect(abs(m.positiveFraction - Double(m.positivePixels) / 12000) < 1e-12)
        let f = m.finding
        #expect(f.positive && f.positivePixels == m.positivePixels && f.probability == m.maxProbability)
    }

    /// Softmax across labels per pixel, channels-last layout, and a shape that fits no layout.
    @Test func softmaxLayoutsAndErrors() throws {
        let spec = ModelManifest.Output(name: "y", activation: .softmax, labels: ["bg", "fg"], thresholds: [0.5, 0.5])
        // [N=1, H=1, W=2, K=2]: pixel 0 favours bg, pixel 1 fg.
        let t = try Tensor(shape: [1, 1, 2, 2], values: [Float](arrayLiteral: 2, 0, 0, 2))
        let masks = try SegmentationMask.masks(output: t, image: 0, spec: spec, rows: 1, columns: 2)
        #expect(masks.map(\.mask) == [[true, false], [false, true]])
        let e = 1 / (1 + exp(-2.0))
        #expect(abs(Double(masks[1].probabilities[1]) - e) < 1e-6)
        let bad = try Tensor(shape: [1, 3, 4, 4], values: [Float](repeating: 0, count: 48))
        #expect(throws: PipelineError.self) { try SegmentationMask.masks(output: bad, image: 0, spec: spec, rows: 4, columns: 4) }
        #expect(throws: PipelineError.self) { try SegmentationMask.masks(output: t, image: 1, spec: spec, rows: 4, columns: 4) }
    }

    /// Through the Analyzer: findings with area, a mask overlay in the source geometry, JSON fields.
    @Test func analyzerReportsAreaAndMask() throws {
        let analyzer = try Analyzer(model: TinyModels.load("tiny-segmenter"))
        let image = try TinyModels.grayImage(rows: 90, columns: 70) { y, x in (y - 40) * (y - 40) + (x - 30) * (x - 30) < 300 ? 250 : 5 }
        let prepared = try analyzer.prepare(AnalysisInput(image: image))
        let a = try #require(try analyzer.analyses([prepared], options: AnalysisOptions(overlays: true)).first)
        let f = try #require(a.report.findings.first)
        let m = try #require(a.masks.first)
        #expect(f.label == "lesion" && f.positive && f.positivePixels == m.positivePixels && m.rows == 90 && m.columns == 70)
        #expect(try a.report.jsonLine().contains("\"positiveFraction\""))
        let overlay = try #require(a.overlay)
        #expect(overlay.kind == .mask && overlay.width == 70 && overlay.height == 90)
        // The contour is drawn red inside the disc's edge, the rest stays gray.
        let red = stride(from: 0, to: overlay.rgb.count, by: 3).filter { overlay.rgb[$0] == 255 && overlay.rgb[$0 + 1] == 0 }
        #expect(!red.isEmpty && red.count < m.positivePixels)
        #expect(a.heatmap == nil)
    }
}
