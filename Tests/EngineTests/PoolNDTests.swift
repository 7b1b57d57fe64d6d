import Engine
import Tensor
import Testing
import TestSupport

/// 3-D and 4-D pooling (Pool2D over the last two axes, then PoolAxis along each leading one) against a
/// direct loop over every window cell, on random shapes, windows, strides, dilations, pads and ceil_mode.
@Suite(.onComputeThreads) struct PoolNDTests {
    /// The slow reference: every output cell reads its whole window, cells outside the input skipped (and
    /// counted for count_include_pad when inside the padded extent).
    static func naive(_ x: [Float], _ inShape: [Int], _ outShape: [Int], kernel: [Int], strides: [Int], dilations: [Int],
                      pads: [Int], max isMax: Bool, includePad: Bool) -> [Float] {
        let s = kernel.count, planes = inShape[0] * inShape[1]
        let inSpatial = Array(inShape.dropFirst(2)), outSpatial = Array(outShape.dropFirst(2))
        let inCount = inSpatial.reduce(1, *), outCount = outSpatial.reduce(1, *), cells = kernel.reduce(1, *)
        var y = [Float](repeating: 0, count: planes * outCount)
        for p in 0..<planes {
            for o in 0..<outCount {
                var oi = [Int](repeating: 0, count: s), rest = o
                for a in stride(from: s - 1, through: 0, by: -1) { oi[a] = rest % outSpatial[a]; rest /= outSpatial[a] }
                var best = -Float.infinity, sum: Float = 0, valid = 0, padded = 0
                for c in 0..<cells {
                    var ki = [Int](repeating: 0, count: s), r = c
                    for a in stride(from: s - 1, through: 0, by: -1) { ki[a] = r % kernel[a]; r /= kernel[a] }
                    let pos = (0..<s).map { oi[$0] * strides[$0] - pads[$0] + ki[$0] * dilations[$0] }
                    if (0..<s).allSatisfy({ pos[$0] >= 0 && pos[$0] < inSpatial[$0] }) {
                        var flat = 0
                        for a in 0..<s { flat = flat * inSpatial[a] + pos[a] }
                        let v = x[p * inCount + flat]
                        best = max(best, v); sum += v; valid += 1
                    } else if (0..<s).allSatisfy({ pos[$0] >= -pads[$0] && pos[$0] < inSpatial[$0] + pads[$0 + s] }) {
                        padded += 1
                    }
                }
                y[p * outCount + o] = isMax ? best : sum / Float(max(includePad ? valid + padded : valid, 1))
            }
        }
        return y
    }

    @Test(arguments: 0..<32)
    func matchesTheDirectLoop(_ seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &* 7 &+ 3)
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        let s = 3 + seed % 2
        let kernel = (0..<s).map { _ in 1 + pick(3) }, strides = (0..<s).map { _ in 1 + pick(2) }
        let dilations = (0..<s).map { _ in 1 + pick(2) }
        let pads = (0..<(2 * s)).map { i in min(pick(2), kernel[i % s] - 1) }
        let spatial = (0..<s).map { kernel[$0] * dilations[$0] + pick(4) }
        let shape = [1 + pick(2), 1 + pick(3)] + spatial
        let isMax = seed % 3 != 0, includePad = seed % 4 == 1, ceil = seed % 5 == 2
        let x = try Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(pick(2000)) / 100 - 10 })
        var attributes: [String: Attribute] = ["kernel_shape": .ints(kernel), "strides": .ints(strides),
                                               "dilations": .ints(dilations), "pads": .ints(pads), "ceil_mode": .int(ceil ? 1 : 0)]
        if !isMax { attributes["count_include_pad"] = .int(includePad ? 1 : 0) }
        let node = Node(name: "pool", opType: isMax ? "MaxPool" : "AveragePool", inputs: ["x"], outputs: ["y"], attributes: attributes)
        let g = Graph(nodes: [node], inputs: [ValueInfo(name: "x", dtype: .float32, shape: shape.map { .fixed($0) })],
                      outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)], initializers: [:], opset: 13)
        let y = try #require(try Model(graph: g, options: CompileOptions(threads: 2)).run(["x": x])["y"])
        let expected = Self.naive(x.floats(), shape, y.shape, kernel: kernel, strides: strides, dilations: dilations, pads: pads,
                                  max: isMax, includePad: includePad)
        let got = y.floats()
        #expect(got.count == expected.count)
        for i in got.indices where abs(got[i] - expected[i]) > 1e-4 * max(1, abs(expected[i])) {
            Issue.record("seed \(seed) \(shape) k \(kernel) s \(strides) d \(dilations) p \(pads) ceil \(ceil): [\(i)] \(got[i]) vs \(expected[i])")
            break
        }
    }
}
