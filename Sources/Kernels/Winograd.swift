internal import KernelsAVX2

/// Winograd F(m×m, 3×3) for 3×3, stride-1, undilated convolutions (one group): each m×m output tile comes
/// from an α×α input tile (α = m + 2) with α² multiplies per (output, input) channel pair instead of 9m²,
/// as α² GEMMs U_ξ [M, C] · V_ξ [C, tiles] (ξ = the transformed positions). Weights are transformed once
/// per plan.
/// - F(2×2, 3×3) (`F2`): 16 multiplies per 4 outputs (2.25× fewer than direct); its transforms only add,
///   subtract and halve, so results stay within a few ulps of the direct sum. GEMMs on OpenBLAS.
/// - F(4×4, 3×3) (`F4`): 36 per 16 outputs (4× fewer); constants up to 8 in the output transform and
///   1/24 in the weight transform cost a few more bits (max error ~1e-5 of max |output| with 64-256
///   channels of uniform weights in ConvPlanTests; WinogradTests bounds it by the conformance tolerance
///   1e-4 · max |reference| up to 512 channels). GEMMs on `PackedGEMM` with U packed
///   once per plan and V written by the input transform straight into the GEMM's strips (AVX2 + FMA only).
/// Both are checked against the naive loop (ConvPlanTests forces every algorithm on random shapes).
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

    /// Tiles transformed together: one per lane of a SIMD8.
    typealias Lanes = SIMD8<Float>

    // V_ξ[t] = (Bᵀ d B)_ξ for tiles [first, first+count) of one input plane, eight tiles at a time (one per
    // lane); tile t of the ξ-th matrix at v + ξ·ld + (t / 16)·stripStride + t % 16. The packed layout's last
    // strip is completed with zeros.
    @inline(__always)
    private static func inputTiles<T: WinogradTransform>(_: T.Type, _ plane: UnsafePointer<Float>, _ g: ConvGeometry,
                                                         tilesW: Int, first: Int, count: Int,
                                                         _ v: UnsafeMutablePointer<Float>, ld: Int, stripStride: Int)
    {
        let a = T.alpha
        withUnsafeTemporaryAllocation(of: Lanes.self, capacity: T.positions) { buf in
            let d = buf.baseAddress!
            for t0 in stride(from: 0, to: count, by: 8) {
                let n = min(8, count - t0)
                d.initialize(repeating: Lanes(), count: T.positions)
                // Lane k of d[i·α + j]: input (y0 + i, x0 + j) of tile t0 + k, zero outside the plane.
                for k in 0..<n {
                    let ty = (first + t0 + k) / tilesW, tx = (first + t0 + k) % tilesW
                    let y0 = T.tile * ty - g.padTop, x0 = T.tile * tx - g.padLeft
                    let inside = x0 >= 0 && x0 + a <= g.inW
                    for i in 0..<a where y0 + i >= 0 && y0 + i < g.inH {
                        let line = plane + (y0 + i) * g.inW + x0
                        if inside {
                            for j in 0..<a { d[i * a + j][k] = line[j] }
                        } else {
                            for j in 0..<a where x0 + j >= 0 && x0 + j < g.inW { d[i * a + j][k] = line[j] }
                        }
                    }
                }
                T.input(d)
                // Eight consecutive tiles are contiguous in both layouts (groups of 8 never straddle a strip).
                let out = v + t0 / 16 * stripStride + t0 % 16
                for xi in 0..<T.positions {
                    let o = out + xi * ld
                    if n == 8 {
                        UnsafeMutableRawPointer(o).storeBytes(of: d[xi], as: Lanes.self)
                    } else {
                        for k in 0..<n { o[k] = d[xi][k] }
                    }
                }
            }
        }
        if T.packed {
            for t in count..<((count + 15) / 16 * 16) {
                for xi in 0..<T.positions { v[xi * ld + t / 16 * stripStride + t % 16] = 0 }
            }
        }
    }

    // y m×m tiles = Aᵀ M A for tiles [first, first+count) of one output channel, eight at a time;
    // M_ξ[t] at r + ξ·ld + t.
    @inline(__always)
    private static func outputTiles<T: WinogradTransform>(_: T.Type, _ r: UnsafePointer<Float>, ld: Int, _ g: ConvGeometry,
                                                          tilesW: Int, first: Int, count: Int, _ y: UnsafeMutablePointer<Float>)
    {
        let tm = T.tile
        withUnsafeTemporaryAllocation(of: Lanes.self, capacity: T.positions + tm * tm) { buf in
            let mm = buf.baseAddress!, out = mm + T.positions
            for t0 in stride(from: 0, to: count, by: 8) {
                let n = min(8, count - t0)
                for xi in 0..<T.positions {
                    let src = r + xi * ld + t0
                    if n == 8 {
                        mm[xi] = UnsafeRawPointer(src).loadUnaligned(as: Lanes.self)
                    } else {
                        var l = Lanes()
                        for k in 0..<n { l[k] = src[k] }
                        mm[xi] = l
                    }
                }
                T.output(mm, out)
                for k in 0..<n {
                    let ty = (first + t0 + k) / tilesW, tx = (first + t0 + k) % tilesW
                    let oy = tm * ty, ox = tm * tx
                    let rows = min(tm, g.outH - oy), cols = min(tm, g.outW - ox)
                    let o = y + oy * g.outW + ox
                    for i in 0..<rows {
                        for j in 0..<cols { o[i * g.outW + j] = out[i * tm + j][k] }
                    }
                }
            }
        }
    }
}

/// One Winograd variant's constants: tile sizes and the transforms, on eight tiles at once (one per lane).
protocol WinogradTransform {
    /// Output tile side m and input tile side α = m + 2; α² positions.
    static var tile: Int { get }
    static var packed: Bool { get }
    /// d [α × α] ← Bᵀ d B in place (row-major).
    static func input(_ d: UnsafeMutablePointer<SIMD8<Float>>)
    /// out [m × m] = Aᵀ M A for M [α × α] (M is overwritten).
    static func output(_ m: UnsafeMutablePointer<SIMD8<Float>>, _ out: UnsafeMutablePointer<SIMD8<Float>>)
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
    typealias V = SIMD8<Float>
    static var tile: Int { 2 }
    static var packed: Bool { false }

    // Bᵀ on the 4 values p[0], p[s], p[2s], p[3s], in place.
    @inline(__always) static func bt(_ p: UnsafeMutablePointer<V>, _ s: Int) {
        let d0 = p[0], d1 = p[s], d2 = p[2 * s], d3 = p[3 * s]
        p[0] = d0 - d2; p[s] = d1 + d2; p[2 * s] = d2 - d1; p[3 * s] = d1 - d3
    }
    // Aᵀ on p[0], p[s], ...: 2 results at o[0], o[os].
    @inline(__always) static func at(_ p: UnsafePointer<V>, _ s: Int, _ o: UnsafeMutablePointer<V>, _ os: Int) {
        let m0 = p[0], m1 = p[s], m2 = p[2 * s], m3 = p[3 * s]
        o[0] = m0 + m1 + m2; o[os] = m1 - m2 - m3
    }
    @inline(__always) static func input(_ d: UnsafeMutablePointer<V>) {
        for j in 0..<4 { bt(d + j, 4) }
        for i in 0..<4 { bt(d + 4 * i, 1) }
    }
    @inline(__always) static func output(_ m: UnsafeMutablePointer<V>, _ out: UnsafeMutablePointer<V>) {
        for j in 0..<4 { at(m + j, 4, m + j, 4) }  // rows 0 and 1 of Aᵀ M, in place
        for i in 0..<2 { at(m + 4 * i, 1, out + 2 * i, 1) }
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
    typealias V = SIMD8<Float>
    static var tile: Int { 4 }
    static var packed: Bool { true }

    @inline(__always) static func bt(_ p: UnsafeMutablePointer<V>, _ s: Int) {
        let d0 = p[0], d1 = p[s], d2 = p[2 * s], d3 = p[3 * s], d4 = p[4 * s], d5 = p[5 * s]
        let a = d4 - d2, b = d1 - d3
        p[0] = d0 * 4 - d2 * 5 + d4
        p[s] = d3 + d4 - (d1 + d2) * 4
        p[2 * s] = d4 - d3 + (d1 - d2) * 4
        p[3 * s] = a - b * 2
        p[4 * s] = a + b * 2
        p[5 * s] = d1 * 4 - d3 * 5 + d5
    }
    @inline(__always) static func at(_ p: UnsafePointer<V>, _ s: Int, _ o: UnsafeMutablePointer<V>, _ os: Int) {
        let m0 = p[0], m1 = p[s], m2 = p[2 * s], m3 = p[3 * s], m4 = p[4 * s], m5 = p[5 * s]
        let s1 = m1 + m2, d1 = m1 - m2, s2 = m3 + m4, d2 = m3 - m4
        o[0] = m0 + s1 + s2; o[os] = d1 + d2 * 2; o[2 * os] = s1 + s2 * 4; o[3 * os] = d1 + d2 * 8 + m5
    }
    @inline(__always) static func input(_ d: UnsafeMutablePointer<V>) {
        for j in 0..<6 { bt(d + j, 6) }
        for i in 0..<6 { bt(d + 6 * i, 1) }
    }
    @inline(__always) static func output(_ m: UnsafeMutablePointer<V>, _ out: UnsafeMutablePointer<V>) {
        for j in 0..<6 { at(m + j, 6, m + j, 6) }  // rows 0-3 of Aᵀ M, in place
        for i in 0..<4 { at(m + 6 * i, 1, out + 4 * i, 1) }
    }
    static func weight(_ g0: Double, _ g1: Double, _ g2: Double) -> [Double] {
        [g0 / 4, -(g0 + g1 + g2) / 6, -(g0 - g1 + g2) / 6, g0 / 24 + g1 / 12 + g2 / 6, g0 / 24 - g1 / 12 + g2 / 6, g2]
    }
}
