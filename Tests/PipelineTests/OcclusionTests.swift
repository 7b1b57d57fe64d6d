import Annotations
import Foundation
import Models
import Pipeline
import Tensor
import TestSupport
import Testing

/// Occlusion sensitivity on the tiny classifier against a brute force computed here: each cell covered
/// by hand, the model run on it alone, the softmax taken.
@Suite(.onComputeThreads) struct OcclusionTests {
    static func softmax(_ x: [Double]) -> [Double] {
        let m = x.max() ?? 0
        let e = x.map { exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    @Test func dropsEqualBruteForce() throws {
        let model = try TinyModels.load("tiny-classifier")
        let analyzer = try Analyzer(model: model)
        let sample = try TinyModels.reference("classifier_input.npy").floats()
        let top = 0  // tiny-reference/index.json topClass
        let grid = 8
        let drops = try analyzer.occlusionDrops(sample, classIndex: top, grid: grid)
        #expect(drops.count == grid * grid)

        func probability(_ values: [Float]) throws -> Double {
            let out = try model.run(["image": Tensor(shape: [1, 1, 64, 64], values: values)])
            return Self.softmax(try #require(out["logits"]).doubles())[top]
        }
        let base = try probability(sample)
        let mean = Float(sample.reduce(0.0) { $0 + Double($1) } / Double(sample.count))
        var expected: [Double] = []
        for r in 0..<grid {
            for q in 0..<grid {
                var v = sample
                for y in (r * 8)..<(r * 8 + 8) { for x in (q * 8)..<(q * 8 + 8) { v[y * 64 + x] = mean } }
                expected.append(base - (try probability(v)))
            }
        }
        let d = try #require(difference(drops, expected))
        #expect(d.maxAbs <= 1e-6, "\(d)")
        // The bright disc (centre row 20, column 40: cell (2, 5)) is what the class answers to: covering it
        // moves the score more than covering a typical cell does.
        let sorted = drops.map(abs).sorted()
        #expect(abs(drops[2 * grid + 5]) > 3 * sorted[sorted.count / 2], "\(drops)")
    }

    @Test func analyzerUsesOcclusionWhenAsked() throws {
        let analyzer = try Analyzer(model: TinyModels.load("tiny-classifier"))
        let image = try TinyModels.grayImage(rows: 40, columns: 50) { y, x in (y - 20) * (y - 20) + (x - 30) * (x - 30) < 60 ? 240 : 10 }
        let prepared = try analyzer.prepare(AnalysisInput(image: image))
        let a = try #require(try analyzer.analyses([prepared], options: AnalysisOptions(overlays: true, heatmap: .occlusion,
                                                                                         occlusionGrid: 4)).first)
        let heatmap = try #require(a.heatmap)
        #expect(heatmap.method == .occlusion && heatmap.width == 4 && heatmap.height == 4)
        let top = try #require(analyzer.model.manifest.outputs[0].labels.firstIndex(of: a.report.topFinding?.label ?? ""))
        let drops = try analyzer.occlusionDrops(prepared.values, classIndex: top, grid: 4)
        let top1 = try #require(drops.max())
        #expect(heatmap.values == drops.map { Float(max($0, 0) / top1) })
        #expect(a.overlay?.width == 50 && a.overlay?.height == 40)
        // Without --overlay nothing is computed.
        #expect(try analyzer.analyses([prepared]).first?.heatmap == nil)
    }

    @Test func badGridIsATypedError() throws {
        let analyzer = try Analyzer(model: TinyModels.load("tiny-classifier"))
        let sample = [Float](repeating: 0, count: 64 * 64)
        #expect(throws: PipelineError.unsupportedManifest("occlusion grid 0 for a 64×64 input (1...64)")) {
            try analyzer.occlusionDrops(sample, classIndex: 0, grid: 0)
        }
        #expect(throws: PipelineError.self) { try analyzer.occlusionDrops([1, 2, 3], classIndex: 0, grid: 8) }
        #expect(throws: PipelineError.self) { try analyzer.occlusionDrops(sample, classIndex: 3, grid: 8) }
    }
}
