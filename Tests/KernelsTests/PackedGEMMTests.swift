import Kernels
import KernelsAVX2
import TestSupport
import Testing

/// The packed AVX2 GEMM against the Double reference on random shapes (edge panels and strips, several K
/// blocks, strided B and C; B row-major through `multiplyShifted` with one tap, and packed in strips), and the
/// property batch invariance rests on: a column window of C computed alone has the same bits as in the
/// whole product.
@Suite(.enabled(if: CPUFeatures.avx2FMA, "needs AVX2 and FMA"), .onComputeThreads)
struct PackedGEMMTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var m: Int, n: Int, k: Int
        var testDescription: String { "m\(m) n\(n) k\(k)" }
    }

    /// Named: exact panels and strips; one row and one column; K over one block (256); M big enough for
    /// K blocks below 256 (65536 / 700 = 93); the DenseNet 3×3 shape (32 × 1152). Plus seeded random ones.
    static let cases: [Case] = {
        var out = [Case(m: 6, n: 16, k: 8), Case(m: 1, n: 1, k: 1), Case(m: 7, n: 17, k: 300), Case(m: 700, n: 5, k: 200),
                   Case(m: 32, n: 40, k: 1152), Case(m: 3, n: 33, k: 0)]
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<12 {
            out.append(Case(m: Int.random(in: 1...40, using: &rng), n: Int.random(in: 1...70, using: &rng),
                            k: Int.random(in: 1...600, using: &rng)))
        }
        return out
    }()

    static func random(_ count: Int, _ seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
    }

    /// C (row stride ldc, NaN outside [m × n] so stray writes show) = packA(A) · B (row stride ldb).
    static func multiply(_ t: Case, a: [Float], b: [Float], ldb: Int, column0: Int = 0, columns: Int? = nil,
                         fused: (bias: [Float], residual: [Float], relu: Bool)? = nil) -> [Float] {
        let n = columns ?? t.n, ldc = n + 3
        var packed = [Float](repeating: .nan, count: PackedGEMM.packedCount(m: t.m, k: t.k))
        var c = [Float](repeating: .nan, count: max(1, t.m * ldc))
        a.withUnsafeBufferPointer { ap in
            packed.withUnsafeMutableBufferPointer { PackedGEMM.packA(ap.baseAddress!, lda: t.k, m: t.m, k: t.k, into: $0.baseAddress!) }
        }
        // Row-major B is the one-tap case of the shifted kernel: row p of B is "channel" p, ldb its plane.
        // `readable` is exactly what b holds, so the last strip goes through the zero-padded tail copy.
        var zero = 0
        packed.withUnsafeBufferPointer { pp in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    withFused(fused, ldr: n) { f in
                        PackedGEMM.multiplyShifted(m: t.m, n: n, channels: t.k, offsets: &zero, taps: 1, plane: ldb,
                                                   packedA: pp.baseAddress!, x: bp.baseAddress! + column0, c: cp.baseAddress!,
                                                   ldc: ldc, readable: b.count - column0, fused: f)
                    }
                }
            }
        }
        // Padding columns must be untouched.
        for i in 0..<t.m { for j in n..<ldc { precondition(c[i * ldc + j].isNaN, "wrote outside C") } }
        return (0..<t.m).flatMap { i in c[(i * ldc)..<(i * ldc + n)] }
    }

    /// `fused` as `PackedGEMM.Fused` (residual [m × ldr]) for the duration of `body`.
    static func withFused<R>(_ fused: (bias: [Float], residual: [Float], relu: Bool)?, ldr: Int,
                             _ body: (PackedGEMM.Fused) -> R) -> R {
        guard let fused else { return body(.none) }
        return fused.bias.withUnsafeBufferPointer { bp in
            fused.residual.withUnsafeBufferPointer { rp in
                body(PackedGEMM.Fused(bias: bp.baseAddress, residual: rp.baseAddress, ldr: ldr, relu: fused.relu))
            }
        }
    }

    /// Bias, residual and ReLU in the last K block's stores equal the product followed by the separate
    /// epilogue pass, for both entry points (row-major B and B in strips).
    @Test(arguments: cases)
    func fusedStoresMatchTheEpilogue(_ t: Case) throws {
        let a = Self.random(max(1, t.m * t.k), 8), b = Self.random(max(1, t.k * t.n), 9)
        let bias = Self.random(t.m, 10), residual = Self.random(max(1, t.m * t.n), 11)
        for relu in [false, true] {
            var expected = Self.multiply(t, a: a, b: b, ldb: t.n)
            expected.withUnsafeMutableBufferPointer { e in
                bias.withUnsafeBufferPointer { bp in
                    residual.withUnsafeBufferPointer { rp in
                        Epilogue.apply(e.baseAddress!, ldy: t.n, rows: t.m, cols: t.n, bias: bp.baseAddress,
                                       residual: rp.baseAddress, ldr: t.n, relu ? .relu : .none)
                    }
                }
            }
            let shifted = Self.multiply(t, a: a, b: b, ldb: t.n, fused: (bias, residual, relu))
            #expect(shifted == expected, "\(t.testDescription) relu \(relu) (row-major B)")
            let strips = (t.n + 15) / 16
            var packedB = [Float](repeating: 0, count: max(1, strips * t.k * 16))
            for s in 0..<strips { for p in 0..<t.k { for j in 0..<16 where s * 16 + j < t.n {
                packedB[(s * t.k + p) * 16 + j] = b[p * t.n + s * 16 + j]
            } } }
            var packedA = [Float](repeating: 0, count: max(1, PackedGEMM.packedCount(m: t.m, k: t.k)))
            a.withUnsafeBufferPointer { ap in
                packedA.withUnsafeMutableBufferPointer { PackedGEMM.packA(ap.baseAddress!, lda: t.k, m: t.m, k: t.k, into: $0.baseAddress!) }
            }
            var c = [Float](repeating: .nan, count: t.m * t.n)
            Self.withFused((bias, residual, relu), ldr: t.n) { f in
                PackedGEMM.multiply(m: t.m, n: t.n, k: t.k, packedA: packedA, packedB: packedB, c: &c, ldc: t.n, fused: f)
            }
            #expect(c == expected, "\(t.testDescription) relu \(relu) (B in strips)")
        }
    }

    /// Pixel panels (`multiplyPixels`): output pixel j reads B's column perm[j] (a window need not follow
    /// the previous one), weights in strips of 16 channels, with and without bias, residual and ReLU.
    /// y has 3 NaN columns past each row, which must stay untouched.
    @Test(arguments: cases)
    func pixelPanelsMatchTheReference(_ t: Case) throws {
        let ldb = t.n + 5, ldy = t.n + 3
        let a = Self.random(max(1, t.m * t.k), 12), b = Self.random(max(1, t.k * ldb), 13)
        let bias = Self.random(t.m, 14), residual = Self.random(max(1, t.m * t.n), 15)
        var rng = SeededGenerator(seed: 16)
        let perm = Array(0..<t.n).shuffled(using: &rng), steps = (0..<max(1, t.k)).map { $0 * ldb }
        var strips = [Float](repeating: .nan, count: max(1, PackedGEMM.stripsCount(m: t.m, k: t.k)))
        a.withUnsafeBufferPointer { ap in
            strips.withUnsafeMutableBufferPointer { PackedGEMM.packStrips(ap.baseAddress!, lda: t.k, m: t.m, k: t.k, into: $0.baseAddress!) }
        }
        let product = NaiveGEMM.run(m: t.m, n: t.n, k: t.k, a: a, lda: t.k, b: b, ldb: ldb)
        for fused in [false, true] {
            var y = [Float](repeating: .nan, count: max(1, t.m * ldy))
            Self.withFused(fused ? (bias, residual, true) : nil, ldr: t.n) { f in
                PackedGEMM.multiplyPixels(m: t.m, n: t.n, k: t.k, strips: strips, x: b, sources: perm, steps: steps,
                                          y: &y, ldy: ldy, fused: f)
            }
            for i in 0..<t.m { for j in t.n..<ldy { #expect(y[i * ldy + j].isNaN, "wrote outside y at \(i), \(j)") } }
            let got = (0..<t.m).flatMap { i in y[(i * ldy)..<(i * ldy + t.n)] }.map(Double.init)
            let expected = (0..<t.m).flatMap { i in
                (0..<t.n).map { j -> Double in
                    let v = product[i * t.n + perm[j]]
                    return fused ? max(v + Double(bias[i]) + Double(residual[i * t.n + j]), 0) : v
                }
            }
            let d = try #require(difference(got, expected))
            #expect(d.maxAbs <= 1e-5 * Double(max(1, t.k)).squareRoot(), "\(t.testDescription) fused \(fused): \(d)")
        }
    }

    @Test(arguments: cases)
    func matchesTheReference(_ t: Case) throws {
        let ldb = t.n + 5
        let a = Self.random(max(1, t.m * t.k), 1), b = Self.random(max(1, t.k * ldb), 2)
        let y = Self.multiply(t, a: a, b: b, ldb: ldb)
        let expected = NaiveGEMM.run(m: t.m, n: t.n, k: t.k, a: a, lda: t.k, b: b, ldb: ldb)
        let d = try #require(difference(y.map(Double.init), expected))
        #expect(d.maxAbs <= 1e-5 * Double(max(1, t.k)).squareRoot(), "\(t.testDescription): \(d)")
    }

    /// B given in strips ([⌈n/16⌉][k][16], as `Im2col.runPacked` writes it) gives the same bits as B row-major.
    @Test(arguments: cases)
    func stripsGiveTheSameBits(_ t: Case) {
        let a = Self.random(max(1, t.m * t.k), 5), b = Self.random(max(1, t.k * t.n), 6)
        let rowMajor = Self.multiply(t, a: a, b: b, ldb: t.n)
        let strips = (t.n + 15) / 16
        var packedB = [Float](repeating: 0, count: max(1, strips * t.k * 16))
        for s in 0..<strips { for p in 0..<t.k { for j in 0..<16 where s * 16 + j < t.n {
            packedB[(s * t.k + p) * 16 + j] = b[p * t.n + s * 16 + j]
        } } }
        var packedA = [Float](repeating: 0, count: max(1, PackedGEMM.packedCount(m: t.m, k: t.k)))
        var c = [Float](repeating: .nan, count: t.m * t.n)
        a.withUnsafeBufferPointer { ap in
            packedA.withUnsafeMutableBufferPointer { PackedGEMM.packA(ap.baseAddress!, lda: t.k, m: t.m, k: t.k, into: $0.baseAddress!) }
        }
        PackedGEMM.multiply(m: t.m, n: t.n, k: t.k, packedA: packedA, packedB: packedB, c: &c, ldc: t.n)
        #expect(c == rowMajor, "\(t.testDescription)")
    }

    @Test(arguments: cases.filter { $0.n > 3 && $0.k > 0 })
    func aColumnWindowHasTheSameBits(_ t: Case) {
        let a = Self.random(t.m * t.k, 3), b = Self.random(t.k * t.n, 4)
        let whole = Self.multiply(t, a: a, b: b, ldb: t.n)
        let c0 = t.n / 3, cols = t.n - c0 - 1
        let window = Self.multiply(t, a: a, b: b, ldb: t.n, column0: c0, columns: cols)
        for i in 0..<t.m {
            #expect(Array(whole[(i * t.n + c0)..<(i * t.n + c0 + cols)]) == Array(window[(i * cols)..<((i + 1) * cols)]),
                    "\(t.testDescription) row \(i)")
        }
    }
}
