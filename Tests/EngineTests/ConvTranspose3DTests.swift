import Engine
import Tensor
import Testing
import TestSupport

/// 3-D ConvTranspose (a sum over depth taps of 2-D transposed convolutions) against the direct scatter of
/// every input voxel through every kernel tap, on random shapes, groups, strides, dilations, pads and
/// output_padding.
@Suite(.onComputeThreads) struct ConvTranspose3DTests {
    @Test(arguments: 0..<12)
    func matchesTheDirectScatter(_ seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &* 29 &+ 1)
        func pick(_ k: Int) -> Int { Int(rng.next() % UInt64(k)) }
        let group = [1, 2][pick(2)], c = group * (1 + pick(2)), mpg = 1 + pick(3), m = mpg * group
        let kernel = (0..<3).map { _ in 1 + pick(3) }, strides = (0..<3).map { _ in 1 + pick(2) }
        let dilations = (0..<3).map { _ in 1 + pick(2) }, pads = (0..<6).map { _ in pick(2) }
        let outputPadding = (0..<3).map { strides[$0] > 1 ? pick(strides[$0]) : 0 }
        let spatial = (0..<3).map { _ in 2 + pick(3) }
        let n = 1 + pick(2), xs = [n, c] + spatial, ws = [c, mpg] + kernel
        let x = (0..<xs.reduce(1, *)).map { _ in Float(pick(200)) / 50 - 2 }
        let w = (0..<ws.reduce(1, *)).map { _ in Float(pick(200)) / 100 - 1 }
        let bias = (0..<m).map { _ in Float(pick(100)) / 50 - 1 }
        var out: [Int] = []
        for a in 0..<3 {
            let full: Int = strides[a] * (spatial[a] - 1) + outputPadding[a] + (kernel[a] - 1) * dilations[a] + 1
            out.append(full - pads[a] - pads[a + 3])
        }
        guard out.allSatisfy({ $0 > 0 }) else { return }
        let node = Node(name: "up3d", opType: "ConvTranspose", inputs: ["x", "w", "b"], outputs: ["y"], attributes: [
            "group": .int(group), "strides": .ints(strides), "dilations": .ints(dilations), "pads": .ints(pads),
            "output_padding": .ints(outputPadding)])
        let g = Graph(nodes: [node], inputs: [ValueInfo(name: "x", dtype: .float32, shape: xs.map { .fixed($0) })],
                      outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
                      initializers: ["w": try Tensor(shape: ws, values: w), "b": try Tensor(shape: [m], values: bias)], opset: 13)
        let y = try #require(try Model(graph: g, options: CompileOptions(threads: 2)).run(["x": try Tensor(shape: xs, values: x)])["y"])
        #expect(y.shape == [n, m] + out)
        var expected = [Float](repeating: 0, count: n * m * out.reduce(1, *))
        for i in 0..<n { for o in 0..<m { for v in 0..<out.reduce(1, *) { expected[(i * m + o) * out.reduce(1, *) + v] = bias[o] } } }
        for i in 0..<n { for ci in 0..<c {
            let grp = ci / (c / group)
            for z in 0..<spatial[0] { for r in 0..<spatial[1] { for q in 0..<spatial[2] {
                let xv = x[(((i * c + ci) * spatial[0] + z) * spatial[1] + r) * spatial[2] + q]
                for o in 0..<mpg { for a in 0..<kernel[0] { for b in 0..<kernel[1] { for e in 0..<kernel[2] {
                    let oz = z * strides[0] - pads[0] + a * dilations[0], oy = r * strides[1] - pads[1] + b * dilations[1]
                    let ox = q * strides[2] - pads[2] + e * dilations[2]
                    guard oz >= 0, oz < out[0], oy >= 0, oy < out[1], ox >= 0, ox < out[2] else { continue }
                    let wv = w[(((ci * mpg + o) * kernel[0] + a) * kernel[1] + b) * kernel[2] + e]
                    expected[(((i * m + grp * mpg + o) * out[0] + oz) * out[1] + oy) * out[2] + ox] += xv * wv
                } } } }
            } } }
        } }
        let got = y.floats()
        for k in got.indices where abs(got[k] - expected[k]) > 1e-4 * max(1, abs(expected[k])) {
            Issue.record("seed \(seed) x \(xs) w \(ws) s \(strides) d \(dilations) p \(pads) op \(outputPadding): [\(k)] \(got[k]) vs \(expected[k])")
            break
        }
    }
}
