import Kernels
import TestSupport
import Testing

/// im2col + sgemm against the direct 7-loop convolution on random shapes, and col2im as im2col's adjoint.
@Suite(.onComputeThreads) struct ConvKernelTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var c: Int, m: Int, groups: Int, g: ConvGeometry
        var testDescription: String {
            "C\(c) M\(m) g\(groups) in \(g.inH)x\(g.inW) k \(g.kH)x\(g.kW) s \(g.strideH),\(g.strideW) d \(g.dilH),\(g.dilW) p \(g.padTop),\(g.padLeft)"
        }
    }

    static func geometry(_ inH: Int, _ inW: Int, _ k: Int, _ s: Int, _ d: Int, _ p: Int) -> ConvGeometry {
        let span = (k - 1) * d + 1
        return ConvGeometry(inH: inH, inW: inW, kH: k, kW: k, strideH: s, strideW: s, dilH: d, dilW: d, padTop: p,
                            padLeft: p, outH: (inH + 2 * p - span) / s + 1, outW: (inW + 2 * p - span) / s + 1)
    }

    /// Named regressions plus seeded random shapes (1x1, 3x3, 5x5, strides 1-2, dilation 1-2, groups incl. depthwise).
    static let cases: [Case] = {
        var out = [
            Case(c: 3, m: 4, groups: 1, g: geometry(7, 9, 3, 1, 1, 1)),  // odd sizes, same padding
            Case(c: 4, m: 4, groups: 4, g: geometry(6, 6, 3, 2, 1, 1)),  // depthwise, stride 2
            Case(c: 2, m: 6, groups: 2, g: geometry(8, 5, 3, 1, 2, 2)),  // grouped, dilated
            Case(c: 5, m: 3, groups: 1, g: geometry(4, 4, 1, 1, 1, 0)),  // pointwise
        ]
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<20 {
            let groups = [1, 1, 2, 3].randomElement(using: &rng)!
            let c = groups * Int.random(in: 1...3, using: &rng), m = groups * Int.random(in: 1...3, using: &rng)
            let k = [1, 3, 5].randomElement(using: &rng)!, s = Int.random(in: 1...2, using: &rng)
            let d = Int.random(in: 1...2, using: &rng), p = Int.random(in: 0...2, using: &rng)
            let h = Int.random(in: (k - 1) * d + 1 ... 12, using: &rng), w = Int.random(in: (k - 1) * d + 1 ... 12, using: &rng)
            out.append(Case(c: c, m: m, groups: groups, g: geometry(h, w, k, s, d, p)))
        }
        return out
    }()

    @Test(arguments: cases)
    func im2colGemmMatchesDirectConvolution(_ t: Case) {
        var rng = SeededGenerator(seed: UInt64(t.c * 1000 + t.m * 100 + t.g.inH))
        let g = t.g, cpg = t.c / t.groups, mpg = t.m / t.groups
        let x = (0..<(t.c * g.inH * g.inW)).map { _ in Float.random(in: -1...1, using: &rng) }
        let w = (0..<(t.m * cpg * g.kH * g.kW)).map { _ in Float.random(in: -1...1, using: &rng) }
        let bias = (0..<t.m).map { _ in Float.random(in: -1...1, using: &rng) }
        let expected = NaiveConv.run(x: x, channels: t.c, w: w, bias: bias, outChannels: t.m, groups: t.groups, g)
        let k = cpg * g.kH * g.kW, pixels = g.outH * g.outW
        var cols = [Float](repeating: .nan, count: k * pixels)  // NaN: im2col must write every element
        var y = [Float](repeating: 0, count: t.m * pixels)
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                for grp in 0..<t.groups {
                    cols.withUnsafeMutableBufferPointer { Im2col.run(xp.baseAddress! + grp * cpg * g.inH * g.inW, channels: cpg, g, $0.baseAddress!) }
                    cols.withUnsafeBufferPointer { cp in
                        y.withUnsafeMutableBufferPointer { yp in
                            GEMM.sgemm(m: mpg, n: pixels, k: k, a: wp.baseAddress! + grp * mpg * k, lda: k, b: cp.baseAddress!,
                                       ldb: pixels, c: yp.baseAddress! + grp * mpg * pixels, ldc: pixels)
                        }
                    }
                }
            }
        }
        for i in y.indices { y[i] += bias[i / pixels] }
        let d = difference(y.map(Double.init), expected.map(Double.init))
        #expect(d != nil && d!.maxAbs <= 1e-4, "\(t.testDescription): \(d.map(\.description) ?? "count")")
    }

    /// ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩: col2im is the exact adjoint ConvTranspose relies on.
    @Test(arguments: cases.prefix(10))
    func col2imIsTheAdjointOfIm2col(_ t: Case) {
        var rng = SeededGenerator(seed: 7)
        let g = t.g, rows = t.c * g.kH * g.kW, pixels = g.outH * g.outW
        let x = (0..<(t.c * g.inH * g.inW)).map { _ in Float.random(in: -1...1, using: &rng) }
        let c = (0..<(rows * pixels)).map { _ in Float.random(in: -1...1, using: &rng) }
        var cols = [Float](repeating: 0, count: rows * pixels)
        var back = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in cols.withUnsafeMutableBufferPointer { Im2col.run(xp.baseAddress!, channels: t.c, g, $0.baseAddress!) } }
        c.withUnsafeBufferPointer { cp in back.withUnsafeMutableBufferPointer { Im2col.col2im(cp.baseAddress!, channels: t.c, g, $0.baseAddress!) } }
        let lhs = zip(cols, c).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(x, back).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(lhs - rhs) <= 1e-3 * max(1, abs(lhs)), "\(t.testDescription): \(lhs) vs \(rhs)")
    }
}

/// im2col into GEMM strips holds exactly the values of the row-major im2col, in PackedGEMM's B layout.
@Suite(.onComputeThreads) struct Im2colPackedTests {
    @Test(arguments: ConvKernelTests.cases.filter { $0.groups == 1 })
    func stripsHoldTheRowMajorPanel(_ t: ConvKernelTests.Case) {
        let g = t.g, rows = (g.outH / 3)..<g.outH, cols = rows.count * g.outW, depth = t.c * g.kH * g.kW
        var rng = SeededGenerator(seed: 11)
        let x = (0..<(t.c * g.inH * g.inW)).map { _ in Float.random(in: -1...1, using: &rng) }
        var panel = [Float](repeating: .nan, count: depth * cols)
        var strips = [Float](repeating: .nan, count: Im2col.packedCount(depth: depth, pixels: cols))
        Im2col.run(x, channels: t.c, g, &panel, rows: rows)
        Im2col.runPacked(x, channels: t.c, g, &strips, rows: rows)
        for s in 0..<((cols + 15) / 16) {
            for k in 0..<depth {
                for j in 0..<16 {
                    let v = strips[(s * depth + k) * 16 + j], p = s * 16 + j
                    #expect(p < cols ? v == panel[k * cols + p] : v == 0, "\(t.testDescription) strip \(s) row \(k) lane \(j)")
                }
            }
        }
    }
}
