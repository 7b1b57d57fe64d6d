/// The engine's own single-precision GEMM for convolutions: C[m×n] = A[m×k] · B[k×n], with A (the weights)
/// packed once per plan and B either packed in strips by im2col (`multiply`) or read in place from the
/// (padded) input (`multiplyShifted`).
///
/// This module is compiled with AVX2 and FMA enabled (Package.swift), so SIMD8<Float> is one ymm register
/// and `addProduct` one `vfmadd`. Nothing here may run unless `Kernels` has checked that the CPU has both
/// (`CPUFeatures.avx2FMA`); every entry point is `@inline(never)` so no caller compiled for plain x86-64
/// inlines it.
///
/// Why not OpenBLAS: sgemm re-packs A and B on every call, which for the convolutions' small M (32-128
/// output channels) costs as much as the multiply-adds (OpenBLAS 0.3.21 reaches 45-60 GFLOP/s on
/// M = 32, K = 1152 on this machine; this kernel reaches ~95 in L1).
///
/// Blocking (Goto): K in blocks of `kc` so a B strip (kc × 16) stays in L1 and the A block (m × kc) in L2;
/// each B strip of 16 columns is reused by every 6-row panel of A. Each element of C is summed
/// in the same order whatever the call's n, its column or the other rows, so results do not depend on how
/// the caller tiles the output (batch invariance).
public enum PackedGEMM {
    /// What the store of a call's last K block applies to C (rows × columns of this call) before writing it:
    /// C = relu?(A·B + bias[row] + residual[row, col]), in that order (the order of the separate `Epilogue`
    /// pass in Kernels, so fused and unfused results are equal). Only bias, residual and ReLU: other
    /// activations stay in that pass.
    public struct Fused {
        /// [m]: one per row of C.
        public var bias: UnsafePointer<Float>?
        /// Laid out like C with row stride `ldr`.
        public var residual: UnsafePointer<Float>?
        public var ldr: Int
        public var relu: Bool
        public init(bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, ldr: Int, relu: Bool) {
            self.bias = bias; self.residual = residual; self.ldr = ldr; self.relu = relu
        }
        public static var none: Fused { Fused(bias: nil, residual: nil, ldr: 0, relu: false) }
        var isNone: Bool { bias == nil && residual == nil && !relu }
        /// The part for the tile at (row, col) of C.
        @inline(__always) func at(row: Int, col: Int) -> Fused {
            Fused(bias: bias.map { $0 + row }, residual: residual.map { $0 + row * ldr + col }, ldr: ldr, relu: relu)
        }
    }

    /// Rows of A per panel (micro-kernel height).
    public static let mr = 6
    /// Columns of B per strip (micro-kernel width: two ymm).
    public static let nr = 16
    /// Largest K block: a B strip is kc × 16 floats = 16 KiB, half the 32 KiB L1d.
    static let maxKC = 256

    /// Floats of packed A for `m` rows of depth `k` (rows padded to a multiple of `mr`).
    public static func packedCount(m: Int, k: Int) -> Int { blocksCount(m: m, k: k, width: mr) }

    /// Packs row-major A [m × k] (row stride `lda`) into panels of `mr` rows: panel p is k columns of mr
    /// floats each (row-major within a column), missing rows zero. `packed` holds `packedCount(m:k:)` floats.
    @inline(never)
    public static func packA(_ a: UnsafePointer<Float>, lda: Int, m: Int, k: Int, into packed: UnsafeMutablePointer<Float>) {
        pack(a, lda: lda, m: m, k: k, width: mr, into: packed)
    }

    /// Floats of `pack` with blocks of `width` rows.
    static func blocksCount(m: Int, k: Int, width: Int) -> Int { (m + width - 1) / width * width * k }

    /// Row-major [m × k] (row stride `lda`) in blocks of `width` rows: block b is k columns of `width` floats
    /// (rows width·b ..< width·b + width of one column), missing rows zero. `packA` (panels of `mr`) and
    /// `packStrips` (strips of `nr`).
    static func pack(_ a: UnsafePointer<Float>, lda: Int, m: Int, k: Int, width: Int, into packed: UnsafeMutablePointer<Float>) {
        var out = packed
        for b in stride(from: 0, to: m, by: width) {
            let rows = min(width, m - b)
            for kk in 0..<k {
                for r in 0..<width { out[r] = r < rows ? a[(b + r) * lda + kk] : 0 }
                out += width
            }
        }
    }

    /// K block for `m` rows: the A block (m × kc floats) within ~256 KiB of L2, a B strip within L1.
    static func kBlock(m: Int, k: Int) -> Int { min(k, maxKC, max(64, 65536 / max(1, m))) }

    /// C[m × n] (row stride ldc) = A · B, A packed by `packA` (m rows, depth k), B packed in strips:
    /// `packedB` [⌈n/16⌉][k][16], strip s holding columns 16s..<16s+16 (im2col writes this layout directly,
    /// so B is never copied twice). C is overwritten. A row-major B is `multiplyShifted` with one tap.
    @inline(never)
    public static func multiply(m: Int, n: Int, k: Int, packedA a: UnsafePointer<Float>, packedB b: UnsafePointer<Float>,
                                c: UnsafeMutablePointer<Float>, ldc: Int, fused: Fused = .none)
    {
        guard m > 0, n > 0 else { return }
        guard k > 0 else { return zero(m: m, n: n, c: c, ldc: ldc, fused: fused) }
        let kc = kBlock(m: m, k: k)
        for k0 in stride(from: 0, to: k, by: kc) {
            block(m: m, n: n, k: k, k0: k0, kb: min(kc, k - k0), a: a, strips: b + k0 * nr, stripStride: k * nr, c: c, ldc: ldc,
                  fused: k0 + kc >= k ? fused : .none)
        }
    }

    static func zero(m: Int, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int, fused: Fused) {
        for p in stride(from: 0, to: m, by: mr) {
            for j in stride(from: 0, to: n, by: nr) {
                Tile().store(c + p * ldc + j, ldc: ldc, rows: min(mr, m - p), cols: min(nr, n - j), accumulate: false,
                             fused.at(row: p, col: j))
            }
        }
    }

    // C[m × n] (+)= A[:, k0..<k0+kb] · B block; strip j/16 of the block starts at strips + (j/16)·stripStride.
    @inline(__always)
    private static func block(m: Int, n: Int, k: Int, k0: Int, kb: Int, a: UnsafePointer<Float>,
                              strips: UnsafePointer<Float>, stripStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                              fused: Fused)
    {
        for j in stride(from: 0, to: n, by: nr) {
            let strip = strips + j / nr * stripStride
            for p in stride(from: 0, to: m, by: mr) {
                micro(kb, a + p * k + k0 * mr, strip, c + p * ldc + j, ldc: ldc,
                      rows: min(mr, m - p), cols: min(nr, n - j), accumulate: k0 > 0, fused.at(row: p, col: j))
            }
        }
    }

    // C[6 × 16] (+)= A panel [kb × 6] · B rows at b + offsets[i] bytes (i < kb), then `fused`; only rows × cols of C are written.
    @inline(__always)
    static func micro(_ kb: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, offsets: UnsafePointer<Int>,
                      _ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool, _ fused: Fused)
    {
        var t = Tile()
        var ap = a
        for i in 0..<kb {
            t.step(ap, b + offsets[i])
            ap += mr
        }
        t.store(c, ldc: ldc, rows: rows, cols: cols, accumulate: accumulate, fused)
    }

    // C[6 × 16] (+)= A panel [kb × 6] · B strip [kb × 16], then `fused`; only rows × cols of C are written.
    @inline(__always)
    static func micro(_ kb: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                              _ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool,
                              _ fused: Fused)
    {
        var t = Tile()
        var ap = a, bp = UnsafeRawPointer(b)
        for _ in 0..<kb {
            t.step(ap, bp)
            ap += mr; bp += 64
        }
        t.store(c, ldc: ldc, rows: rows, cols: cols, accumulate: accumulate, fused)
    }
}

/// The micro-kernel's 6 × 16 accumulators: twelve ymm registers once inlined.
struct Tile {
    typealias V = SIMD8<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()

    // C += a[0..<6] ⊗ b[0..<16]
    @inline(__always)
    mutating func step(_ a: UnsafePointer<Float>, _ b: UnsafeRawPointer) {
        let b0 = b.loadUnaligned(as: V.self), b1 = (b + 32).loadUnaligned(as: V.self)
        var x = V(repeating: a[0]); c00.addProduct(x, b0); c01.addProduct(x, b1)
        x = V(repeating: a[1]); c10.addProduct(x, b0); c11.addProduct(x, b1)
        x = V(repeating: a[2]); c20.addProduct(x, b0); c21.addProduct(x, b1)
        x = V(repeating: a[3]); c30.addProduct(x, b0); c31.addProduct(x, b1)
        x = V(repeating: a[4]); c40.addProduct(x, b0); c41.addProduct(x, b1)
        x = V(repeating: a[5]); c50.addProduct(x, b0); c51.addProduct(x, b1)
    }

    /// C[rows × cols] (row stride ldc) = (or +=) the tile, then `fused` (bias of row r at fused.bias[r], the
    /// residual tile at fused.residual with row stride fused.ldr).
    @inline(__always)
    func store(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool, _ fused: PackedGEMM.Fused) {
        let fuse = !fused.isNone
        if rows == PackedGEMM.mr && cols == PackedGEMM.nr {
            @inline(__always) func put(_ r: Int, _ v0: V, _ v1: V) {
                let p = UnsafeMutableRawPointer(c + r * ldc)
                var v0 = v0, v1 = v1
                if accumulate {
                    v0 = p.loadUnaligned(as: V.self) + v0
                    v1 = (p + 32).loadUnaligned(as: V.self) + v1
                }
                if fuse {
                    if let b = fused.bias {
                        let bv = V(repeating: b[r])
                        v0 += bv; v1 += bv
                    }
                    if let res = fused.residual {
                        let q = UnsafeRawPointer(res + r * fused.ldr)
                        v0 += q.loadUnaligned(as: V.self); v1 += (q + 32).loadUnaligned(as: V.self)
                    }
                    if fused.relu {
                        // = max(x, 0) as Epilogue computes it (-0 and NaN included)
                        v0 = v0.replacing(with: 0, where: v0 .<= 0); v1 = v1.replacing(with: 0, where: v1 .<= 0)
                    }
                }
                p.storeBytes(of: v0, as: V.self)
                (p + 32).storeBytes(of: v1, as: V.self)
            }
            put(0, c00, c01); put(1, c10, c11); put(2, c20, c21); put(3, c30, c31); put(4, c40, c41); put(5, c50, c51)
            return
        }
        // Edge tile: the same sums, spilled and copied element by element.
        withUnsafeTemporaryAllocation(of: V.self, capacity: 12) { t in
            t[0] = c00; t[1] = c01; t[2] = c10; t[3] = c11; t[4] = c20; t[5] = c21
            t[6] = c30; t[7] = c31; t[8] = c40; t[9] = c41; t[10] = c50; t[11] = c51
            UnsafeRawPointer(t.baseAddress!).withMemoryRebound(to: Float.self, capacity: 96) { f in
                for r in 0..<rows {
                    let row = c + r * ldc, b = fused.bias?[r] ?? 0, res = fused.residual.map { $0 + r * fused.ldr }
                    for j in 0..<cols {
                        var v = accumulate ? row[j] + f[r * 16 + j] : f[r * 16 + j]
                        if fuse {
                            v = v + b
                            if let res { v = v + res[j] }
                            if fused.relu { v = max(v, 0) }
                        }
                        row[j] = v
                    }
                }
            }
        }
    }
}
