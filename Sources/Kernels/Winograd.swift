internal import KernelsAVX2

/// Winograd F(m×m, 3×3) for 3×3, stride-1, undilated convolutions (one group): each m×m output tile comes
/// from an α×α input tile (α = m + 2) with α² multiplies per (output, input) channel pair instead of 9m²,
/// as α² GEMMs U_ξ [M, C] · V_ξ [C, tiles] (ξ = the transformed positions). Weights are transformed once
/// per plan.
/// - F(2×2, 3×3) (`F2`): 16 multiplies per 4 outputs (2.25× fewer than direct); its transforms only add,
///   subtract and halve, so results stay within a few ulps of the direct sum. GEMMs on OpenBLAS.
/// - F(4×4, 3×3) (`F4`): 36 per 16 outputs (4× fewer); constants up to 8 in the output transform and
///   1/24 in the weight transform cost a few more bits (about 1e-6 relative to the output's magnitude
///   for 512 channels, checked against the direct loop in the tests). GEMMs on `PackedGEMM` with U packed
///   once per plan and V written by the input transform straight into the GEMM's strips (AVX2 + FMA only).
/// Both are checked against the naive loop in the tests (ConvPlanTests forces every algorithm).
public enum Winograd {
    /// Tiles per block: the transformed input matrices of a block stay around 2 MiB; blocks of equal size
    /// (rounded up to whole 16-column strips for the packed GEMM).
    static func tilesPerBlock<T: WinogradTransform>(_: T.Type, channels: Int, tiles: Int) -> Int {
        let target = max(64, (1 << 21) / (T.positions * 4 * channels))
        let blocks = (tiles + target - 1) / target
        return min(tiles, ((tiles + blocks - 1) / blocks + 15) / 16 * 16)
    }

    /// The weights as `run` reads them. w [M, C, 3, 3] -> U_ξ = (G g Gᵀ)_ξ: F2 row-major [16, M, C];
    /// F4 [36][`PackedGEMM.packA` panels of U_ξ].
    static func transformWeights<T: WinogradTransform>(_: T.Type, _ w: UnsafePointer<Float>, outChannels m: Int,
                                                       channels c: Int) -> [Float]
    {
        let p = T.positions, a = T.alpha
        // Row-major U [p, M, C], computed in Double (G has thirds and 24ths for F4).
        var u = [Float](repeating: 0, count: p * m * c)
        var t = [Double](repeating: 0, count: 3 * a), s = [Double](repeating: 0, count: p)
        for o in 0..<m {
            for i in 0..<c {
                let g = w + (o * c + i) * 9
                // t = G g (α×3), then s = t Gᵀ (α×α)
                for col in 0..<3 {
                    let out = T.weight(Double(g[col]), Double(g[3 + col]), Double(g[6 + col]))
                    for r in 0..<a { t[r * 3 + col] = out[r] }
                }
                for r in 0..<a {
                    let out = T.weight(t[r * 3], t[r * 3 + 1], t[r * 3 + 2])
                    for col in 0..<a { s[r * a + col] = out[col] }
                }
                for xi in 0..<p { u[(xi * m + o) * c + i] = Float(s[xi]) }
            }
        }
        guard T.packed else { return u }
        let per = PackedGEMM.packedCount(m: m, k: c)
        return [Float](unsafeUninitializedCapacity: p * per) { buf, count in
            u.withUnsafeBufferPointer { up in
                for xi in 0..<p { PackedGEMM.packA(up.baseAddress! + xi * m * c, lda: c, m: m, k: c, into: buf.baseAddress! + xi * per) }
            }
            count = p * per
        }
    }

    /// y [N, M, outH, outW] = act(conv(x) + bias + residual); u from `transformWeights`.
    static func run<T: WinogradTransform>(_: T.Type, _ s: ConvShape, x: UnsafePointer<Float>, u: UnsafePointer<Float>,
                                          bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                                          y: UnsafeMutablePointer<Float>, images: Int, activation: Activation, threads: Int)
    {
        let g = s.geometry, c = s.channels, m = s.outChannels, p = T.positions, tm = T.tile
        let tilesW = (g.outW + tm - 1) / tm, tiles = ((g.outH + tm - 1) / tm) * tilesW, pixels = g.outH * g.outW
        let block = tilesPerBlock(T.self, channels: c, tiles: tiles)
        // Packed: V_ξ in 16-column strips [⌈nb/16⌉][C][16]; else row-major [C][nb].
        let strips = (block + 15) / 16
        // The transformed matrices lie a power of two apart for many shapes, so the streams a tile
        // transform writes would share L1 sets: 16 floats of skew between them.
        let sv = (T.packed ? strips * 16 * c : c * block) + 16, sr = m * block + 16
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: p * (sv + sr))
        defer { scratch.deallocate() }
        let v = scratch, r = scratch + p * sv
        let packedA = PackedGEMM.packedCount(m: m, k: c)
        let channelTasks = min(c, 4 * threads), outTasks = min(m, 4 * threads)
        for img in 0..<images {
            let xi = x + img * c * g.inH * g.inW, yi = y + img * m * pixels
            for b0 in stride(from: 0, to: tiles, by: block) {
                let nb = min(block, tiles - b0)
                // Element (ch, t) of V_ξ: v + ξ·sv + ch·chStride + (t / 16)·stripStride + t % 16.
                let chStride = T.packed ? 16 : nb, stripStride = T.packed ? 16 * c : 16
                Parallel.run(tasks: channelTasks, threads: threads) { task, _ in
                    for ch in stride(from: task, to: c, by: channelTasks) {
                        inputTiles(T.self, xi + ch * g.inH * g.inW, g, tilesW: tilesW, first: b0, count: nb,
                                   v + ch * chStride, ld: sv, stripStride: stripStride)
                    }
                }
                // [M, C] · [C, nb] for each position
                Parallel.run(tasks: p, threads: threads) { pos, _ in
                    if T.packed {
                        PackedGEMM.multiply(m: m, n: nb, k: c, packedA: u + pos * packedA, packedB: v + pos * sv,
                                            c: r + pos * sr, ldc: nb)
                    } else {
                        GEMM.sgemm(m: m, n: nb, k: c, a: u + pos * m * c, lda: c, b: v + pos * sv, ldb: nb,
                                   c: r + pos * sr, ldc: nb)
                    }
                }
                Parallel.run(tasks: outTasks, threads: threads) { task, _ in
                    for o in stride(from: task, to: m, by: outTasks) {
                        outputTiles(T.self, r + o * nb, ld: sr, g, tilesW: tilesW, first: b0, count: nb, yi + o * pixels)
                    }
                }
            }
            Parallel.run(tasks: outTasks, threads: threads) { task, _ in
                let per = (m + outTasks - 1) / outTasks, o0 = task * per, n = min(per, m - o0)
                guard n > 0 else { return }
                Epilogue.apply(yi + o0 * pixels, ldy: pixels, rows: n, cols: pixels, bias: bias.map { $0 + o0 },
                               residual: residual.map { $0 + (img * m + o0) * pixels }, ldr: pixels, activation)
            }
        }
    }

    // V_ξ[t] = (Bᵀ d B)_ξ for tiles [first, first+count) of one input plane; tile t of the ξ-th matrix at
    // v + ξ·ld + (t / 16)·stripStride + t % 16. The packed layout's last strip is completed with zeros.
    @inline(__always)
    private static func inputTiles<T: WinogradTransform>(_: T.Type, _ plane: UnsafePointer<Float>, _ g: ConvGeometry,
                                                         tilesW: Int, first: Int, count: Int,
                                                         _ v: UnsafeMutablePointer<Float>, ld: Int, stripStride: Int)
    {
        let a = T.alpha, lanes = T.Row.scalarCount
        for t in 0..<count {
            let ty = (first + t) / tilesW, tx = (first + t) % tilesW
            let y0 = T.tile * ty - g.padTop, x0 = T.tile * tx - g.padLeft
            @inline(__always) func row(_ i: Int) -> T.Row {
                let iy = y0 + i
                if iy < 0 || iy >= g.inH { return T.Row() }
                let line = plane + iy * g.inW
                if x0 >= 0 && x0 + lanes <= g.inW { return UnsafeRawPointer(line + x0).loadUnaligned(as: T.Row.self) }
                var out = T.Row()
                for k in 0..<a where x0 + k >= 0 && x0 + k < g.inW { out[k] = line[x0 + k] }
                return out
            }
            // rows: Bᵀ d (lanes = columns), then per row: (Bᵀ d) B, stored at ξ = α·row + column
            let out = v + t / 16 * stripStride + t % 16
            T.input(rows: row) { i, rv in
                T.inputRow(rv) { j, value in out[(i * a + j) * ld] = value }
            }
        }
        if T.packed {
            for t in count..<((count + 15) / 16 * 16) {
                for xi in 0..<T.positions { v[xi * ld + t / 16 * stripStride + t % 16] = 0 }
            }
        }
    }

    // y m×m tiles = Aᵀ M A for tiles [first, first+count) of one output channel; M_ξ[t] at r + ξ·ld + t.
    @inline(__always)
    private static func outputTiles<T: WinogradTransform>(_: T.Type, _ r: UnsafePointer<Float>, ld: Int, _ g: ConvGeometry,
                                                          tilesW: Int, first: Int, count: Int, _ y: UnsafeMutablePointer<Float>)
    {
        let a = T.alpha
        for t in 0..<count {
            @inline(__always) func rowAt(_ i: Int) -> T.Row {
                var out = T.Row()
                for j in 0..<a { out[j] = r[(i * a + j) * ld + t] }
                return out
            }
            let ty = (first + t) / tilesW, tx = (first + t) % tilesW
            let oy = T.tile * ty, ox = T.tile * tx
            let rows = min(T.tile, g.outH - oy), cols = min(T.tile, g.outW - ox)
            let o = y + oy * g.outW + ox
            T.output(rows: rowAt) { i, av in
                guard i < rows else { return }
                let line = o + i * g.outW
                T.outputRow(av) { j, value in if j < cols { line[j] = value } }
            }
        }
    }
}

/// +, − and scaling by a constant: what the transforms need, for one value or a row of them.
protocol WinogradLane {
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Float) -> Self
}
extension Float: WinogradLane {}
extension SIMD4<Float>: WinogradLane {}
extension SIMD8<Float>: WinogradLane {}

/// One Winograd variant's constants: tile sizes and the 1-D transforms (each applied to rows, then columns).
protocol WinogradTransform {
    /// A row of α input or transformed values (lanes past α unused).
    associatedtype Row: SIMD & WinogradLane where Row.Scalar == Float
    /// Output tile side m and input tile side α = m + 2; α² positions.
    static var tile: Int { get }
    static var packed: Bool { get }
    /// Bᵀ applied to the α rows `d(0..<α)`, result row i passed to `body(i, row)`; `inputRow` the same within one row.
    static func input(rows d: (Int) -> Row, _ body: (Int, Row) -> Void)
    static func inputRow(_ d: Row, _ body: (Int, Float) -> Void)
    /// Aᵀ applied to the α rows `m(0..<α)`, then within one row of the result.
    static func output(rows m: (Int) -> Row, _ body: (Int, Row) -> Void)
    static func outputRow(_ m: Row, _ body: (Int, Float) -> Void)
    /// G applied to three weights (α results).
    static func weight(_ g0: Double, _ g1: Double, _ g2: Double) -> [Double]
}

extension WinogradTransform {
    static var alpha: Int { tile + 2 }
    static var positions: Int { alpha * alpha }
}

/// F(2×2, 3×3): Bᵀ = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]], G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]],
/// Aᵀ = [[1,1,1,0],[0,1,-1,-1]].
enum WinogradF2: WinogradTransform {
    typealias Row = SIMD4<Float>
    static var tile: Int { 2 }
    static var packed: Bool { false }

    @inline(__always) static func bt<V: WinogradLane>(_ d0: V, _ d1: V, _ d2: V, _ d3: V) -> (V, V, V, V) {
        (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    }
    @inline(__always) static func at<V: WinogradLane>(_ m0: V, _ m1: V, _ m2: V, _ m3: V) -> (V, V) {
        (m0 + m1 + m2, m1 - m2 - m3)
    }
    @inline(__always) static func input(rows d: (Int) -> Row, _ body: (Int, Row) -> Void) {
        let r = bt(d(0), d(1), d(2), d(3))
        body(0, r.0); body(1, r.1); body(2, r.2); body(3, r.3)
    }
    @inline(__always) static func inputRow(_ d: Row, _ body: (Int, Float) -> Void) {
        let r = bt(d[0], d[1], d[2], d[3])
        body(0, r.0); body(1, r.1); body(2, r.2); body(3, r.3)
    }
    @inline(__always) static func output(rows m: (Int) -> Row, _ body: (Int, Row) -> Void) {
        let r = at(m(0), m(1), m(2), m(3))
        body(0, r.0); body(1, r.1)
    }
    @inline(__always) static func outputRow(_ m: Row, _ body: (Int, Float) -> Void) {
        let r = at(m[0], m[1], m[2], m[3])
        body(0, r.0); body(1, r.1)
    }
    static func weight(_ g0: Double, _ g1: Double, _ g2: Double) -> [Double] {
        [g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2]
    }
}

/// F(4×4, 3×3) on the points 0, ±1, ±2, ∞ (Lavin & Gray):
/// Bᵀ = [[4,0,-5,0,1,0],[0,-4,-4,1,1,0],[0,4,-4,-1,1,0],[0,-2,-1,2,1,0],[0,2,-1,-2,1,0],[0,4,0,-5,0,1]],
/// G = [[¼,0,0],[-⅙,-⅙,-⅙],[-⅙,⅙,-⅙],[1/24,1/12,⅙],[1/24,-1/12,⅙],[0,0,1]],
/// Aᵀ = [[1,1,1,1,1,0],[0,1,-1,2,-2,0],[0,1,1,4,4,0],[0,1,-1,8,-8,1]].
enum WinogradF4: WinogradTransform {
    typealias Row = SIMD8<Float>
    static var tile: Int { 4 }
    static var packed: Bool { true }

    @inline(__always) static func bt<V: WinogradLane>(_ d0: V, _ d1: V, _ d2: V, _ d3: V, _ d4: V, _ d5: V)
        -> (V, V, V, V, V, V)
    {
        let a = d4 - d2, b = d1 - d3
        return (d0 * 4 - d2 * 5 + d4, d3 + d4 - (d1 + d2) * 4, d4 - d3 + (d1 - d2) * 4,
                a - b * 2, a + b * 2, d1 * 4 - d3 * 5 + d5)
    }
    @inline(__always) static func at<V: WinogradLane>(_ m0: V, _ m1: V, _ m2: V, _ m3: V, _ m4: V, _ m5: V)
        -> (V, V, V, V)
    {
        let s1 = m1 + m2, d1 = m1 - m2, s2 = m3 + m4, d2 = m3 - m4
        return (m0 + s1 + s2, d1 + d2 * 2, s1 + s2 * 4, d1 + d2 * 8 + m5)
    }
    @inline(__always) static func input(rows d: (Int) -> Row, _ body: (Int, Row) -> Void) {
        let r = bt(d(0), d(1), d(2), d(3), d(4), d(5))
        body(0, r.0); body(1, r.1); body(2, r.2); body(3, r.3); body(4, r.4); body(5, r.5)
    }
    @inline(__always) static func inputRow(_ d: Row, _ body: (Int, Float) -> Void) {
        let r = bt(d[0], d[1], d[2], d[3], d[4], d[5])
        body(0, r.0); body(1, r.1); body(2, r.2); body(3, r.3); body(4, r.4); body(5, r.5)
    }
    @inline(__always) static func output(rows m: (Int) -> Row, _ body: (Int, Row) -> Void) {
        let r = at(m(0), m(1), m(2), m(3), m(4), m(5))
        body(0, r.0); body(1, r.1); body(2, r.2); body(3, r.3)
    }
    @inline(__always) static func outputRow(_ m: Row, _ body: (Int, Float) -> Void) {
        let r = at(m[0], m[1], m[2], m[3], m[4], m[5])
        body(0, r.0); body(1, r.1); body(2, r.2); body(3, r.3)
    }
    static func weight(_ g0: Double, _ g1: Double, _ g2: Double) -> [Double] {
        [g0 / 4, -(g0 + g1 + g2) / 6, -(g0 - g1 + g2) / 6, g0 / 24 + g1 / 12 + g2 / 6, g0 / 24 - g1 / 12 + g2 / 6, g2]
    }
}
