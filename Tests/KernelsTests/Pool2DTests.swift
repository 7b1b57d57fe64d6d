import Kernels
import TestSupport
import Testing

/// Pool2D against its naive twin on random windows (pads, strides, dilations, ceil-mode-like overhang).
@Suite(.onComputeThreads) struct Pool2DTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var g: ConvGeometry, padBottom: Int, padRight: Int
        var testDescription: String {
            "in \(g.inH)x\(g.inW) k \(g.kH)x\(g.kW) s \(g.strideH),\(g.strideW) d \(g.dilH),\(g.dilW) p \(g.padTop),\(g.padLeft),\(padBottom),\(padRight)"
        }
    }

    static let cases: [Case] = {
        var out = [Case(g: ConvGeometry(inH: 112, inW: 112, kH: 3, kW: 3, strideH: 2, strideW: 2, dilH: 1, dilW: 1,
                                        padTop: 1, padLeft: 1, outH: 56, outW: 56), padBottom: 1, padRight: 1),  // ResNet stem pool
                   Case(g: ConvGeometry(inH: 56, inW: 56, kH: 2, kW: 2, strideH: 2, strideW: 2, dilH: 1, dilW: 1,
                                        padTop: 0, padLeft: 0, outH: 28, outW: 28), padBottom: 0, padRight: 0)]  // DenseNet transition
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<30 {
            let kH = Int.random(in: 1...4, using: &rng), kW = Int.random(in: 1...4, using: &rng)
            let s = Int.random(in: 1...3, using: &rng), d = Int.random(in: 1...2, using: &rng)
            let pt = Int.random(in: 0...(kH - 1), using: &rng), pl = Int.random(in: 0...(kW - 1), using: &rng)
            let pb = Int.random(in: 0...(kH - 1), using: &rng), pr = Int.random(in: 0...(kW - 1), using: &rng)
            // rows past 8 and 16 floats: the vectorised reductions' main loops and remainders
            let inH = Int.random(in: ((kH - 1) * d + 1)...13, using: &rng), inW = Int.random(in: ((kW - 1) * d + 1)...37, using: &rng)
            let outH = (inH + pt + pb - (kH - 1) * d - 1) / s + 1, outW = (inW + pl + pr - (kW - 1) * d - 1) / s + 1
            out.append(Case(g: ConvGeometry(inH: inH, inW: inW, kH: kH, kW: kW, strideH: s, strideW: s, dilH: d, dilW: d,
                                            padTop: pt, padLeft: pl, outH: outH, outW: outW), padBottom: pb, padRight: pr))
        }
        return out
    }()

    @Test(arguments: cases)
    func matchesTheNaiveLoop(_ t: Case) throws {
        let planes = 3
        var rng = SeededGenerator(seed: 5)
        let x = (0..<(planes * t.g.inH * t.g.inW)).map { _ in Float.random(in: -2...2, using: &rng) }
        for kind in [Pool2D.Kind.max, .average(countIncludePad: false), .average(countIncludePad: true)] {
            let expected = NaivePool.run(kind, x: x, planes: planes, t.g, padBottom: t.padBottom, padRight: t.padRight)
            var y = [Float](repeating: .nan, count: expected.count)
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    Pool2D.run(kind, x: xp.baseAddress!, y: yp.baseAddress!, planes: planes, t.g, padBottom: t.padBottom,
                               padRight: t.padRight, threads: 2)
                }
            }
            let d = try #require(difference(y.map(Double.init), expected.map(Double.init)))
            #expect(d.maxAbs <= 1e-6, "\(t.testDescription) \(kind): \(d)")
        }
    }
}
