import Engine
import Tensor
import Testing
import TestSupport

/// 3-D convolution (a sum of 2-D `ConvPlan` convolutions over the depth taps) against the direct six-fold
/// loop, on random shapes, groups, strides, dilations, pads, with bias, a fused ReLU and every algorithm the
/// 2-D plans may take.
@Suite(.onComputeThreads) struct Conv3DTests {
    static func naive(x: [Float], _ xs: [Int], w: [Float], _ ws: [Int], bias: [Float], group: Int, strides: [Int],
                      dilations: [Int], pads: [Int], out: [Int]) -> [Float] {
        let (n, c, d, h, wd) = (xs[0], xs[1], xs[2], xs[3], xs[4]), (m, cg) = (ws[0], ws[1])
        let mg = m / group
        var y = [Float](repeating: 0, count: n * m * out.reduce(1, *))
        for i in 0..<n { for o in 0..<m {
            let gi = o / mg
            for z in 0..<out[0] { for r in 0..<out[1] { for q in 0..<out[2] {
                var acc = bias.isEmpty ? 0 : bias[o]
                for ci in 0..<cg { for a in 0..<ws[2] { for b in 0..<ws[3] { for e in 0..<ws[4] {
                    let iz = z * strides[0] - pads[0] + a * dilations[0], iy = r * strides[1] - pads[1] + b * dilations[1]
                    let ix = q * strides[2] - pads[2] + e * dilations[2]
                    guard iz >= 0, iz < d, iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                    let ch = gi * cg + ci
                    acc += x[(((i * c + ch) * d + iz) * h + iy) * wd + ix] * w[(((o * cg + ci) * ws[2] + a) * ws[3] + b) * ws[4] + e]
                } } } }
                y[(((i * m + o) * out[0] + z) * out[1] + r) * out[2] + q] = acc
            } } }
        } }
        return y
    }

    @Test(arguments: 0..<16)
    func matchesTheDirectLoop(_ seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &* 13 &+ 5)
        func pick(_ k: Int) -> Int { Int(rng.next() % UInt64(k)) }
        let group = [1, 1, 2][pick(3)]
        let c = group * (1 + pick(3)), m = group * (1 + pick(3))
        let kernel = (0..<3).map { _ in 1 + pick(3) }, strides = (0..<3).map { _ in 1 + pick(2) }
        let dilations = (0..<3).map { _ in 1 + pick(2) }, pads = (0..<6).map { _ in pick(2) }
        let spatial = (0..<3).map { kernel[$0] * dilations[$0] + pick(4) }
        try Self.check(seed: seed, batch: 1 + pick(2), c: c, m: m, group: group, kernel: kernel, strides: strides,
                       dilations: dilations, pads: pads, spatial: spatial, residual: pick(2) == 1)
    }

    /// Named cases: the 1×1×1 path (a 1×1 convolution over [N, C, D·H, W]), the U-Net's 3×3×3 with pads 1 and
    /// a fused residual, depth-only dilation and stride with groups (the gathered taps).
    @Test func namedShapes() throws {
        try Self.check(seed: 100, batch: 2, c: 3, m: 4, group: 1, kernel: [1, 1, 1], strides: [1, 1, 1], dilations: [1, 1, 1],
                       pads: [0, 0, 0, 0, 0, 0], spatial: [3, 4, 5], residual: true)
        try Self.check(seed: 101, batch: 1, c: 4, m: 2, group: 2, kernel: [1, 1, 1], strides: [1, 1, 1], dilations: [1, 1, 1],
                       pads: [0, 0, 0, 0, 0, 0], spatial: [2, 3, 3], residual: false)
        try Self.check(seed: 102, batch: 2, c: 2, m: 3, group: 1, kernel: [3, 3, 3], strides: [1, 1, 1], dilations: [1, 1, 1],
                       pads: [1, 1, 1, 1, 1, 1], spatial: [5, 6, 4], residual: true)
        try Self.check(seed: 103, batch: 1, c: 4, m: 4, group: 2, kernel: [3, 2, 2], strides: [2, 1, 1], dilations: [2, 1, 1],
                       pads: [2, 0, 1, 1, 1, 0], spatial: [7, 4, 4], residual: false)
    }

    /// Conv (+ Add of a residual) + ReLU through a compiled 2-thread model against the direct loop.
    static func check(seed: Int, batch: Int, c: Int, m: Int, group: Int, kernel: [Int], strides: [Int], dilations: [Int],
                      pads: [Int], spatial: [Int], residual: Bool) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 77)
        func pick(_ k: Int) -> Int { Int(rng.next() % UInt64(k)) }
        let xs = [batch, c] + spatial, ws = [m, c / group] + kernel
        let x = (0..<xs.reduce(1, *)).map { _ in Float(pick(200)) / 50 - 2 }
        let w = (0..<ws.reduce(1, *)).map { _ in Float(pick(200)) / 100 - 1 }
        let bias = (0..<m).map { _ in Float(pick(100)) / 50 - 1 }
        var sizes: [Int] = []
        for a in 0..<3 {
            let span: Int = spatial[a] + pads[a] + pads[a + 3] - (kernel[a] - 1) * dilations[a] - 1
            sizes.append(span / strides[a] + 1)
        }
        let outShape = [batch, m] + sizes
        let r = (0..<outShape.reduce(1, *)).map { _ in Float(pick(100)) / 50 - 1 }
        let node = Node(name: "conv3d", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"], attributes: [
            "group": .int(group), "strides": .ints(strides), "dilations": .ints(dilations), "pads": .ints(pads)])
        var nodes = [node, Node(name: "relu", opType: "Relu", inputs: [residual ? "s" : "c"], outputs: ["y"])]
        var inputs = [ValueInfo(name: "x", dtype: .float32, shape: xs.map { .fixed($0) })]
        var feeds = ["x": try Tensor(shape: xs, values: x)]
        if residual {
            nodes.insert(Node(name: "add", opType: "Add", inputs: ["c", "r"], outputs: ["s"]), at: 1)
            inputs.append(ValueInfo(name: "r", dtype: .float32, shape: outShape.map { .fixed($0) }))
            feeds["r"] = try Tensor(shape: outShape, values: r)
        }
        let g = Graph(nodes: nodes, inputs: inputs, outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
                      initializers: ["w": try Tensor(shape: ws, values: w), "b": try Tensor(shape: [m], values: bias)], opset: 13)
        let y = try #require(try Model(graph: g, options: CompileOptions(threads: 2)).run(feeds)["y"])
        #expect(y.shape == outShape)
        let direct = Self.naive(x: x, xs, w: w, ws, bias: bias, group: group, strides: strides, dilations: dilations, pads: pads,
                                out: sizes)
        let expected = direct.indices.map { max(direct[$0] + (residual ? r[$0] : 0), 0) }
        let got = y.floats()
        for i in got.indices where abs(got[i] - expected[i]) > 1e-4 * max(1, abs(expected[i])) {
            Issue.record("seed \(seed) x \(xs) w \(ws) s \(strides) d \(dilations) p \(pads): [\(i)] \(got[i]) vs \(expected[i])")
            break
        }
    }
}
