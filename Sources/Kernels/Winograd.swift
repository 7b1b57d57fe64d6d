/// Winograd F(2×2, 3×3) for 3×3, stride-1, undilated convolutions (one group): each 2×2 output tile comes
/// from a 4×4 input tile with 16 multiplies per (output, input) channel pair instead of 36, as 16 GEMMs
/// U_ξ [M, C] · V_ξ [C, tiles] (ξ = the 16 transformed positions). Weights are transformed once per plan.
/// Error: the transforms only add, subtract and halve, so results stay within a few ulps of the direct sum
/// (checked against the naive loop in the tests).
public enum Winograd {
    /// U [16, M, C] from w [M, C, 3, 3]: U_ξ = (G g Gᵀ)_ξ with G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]].
    public static func transformWeights(_ w: UnsafePointer<Float>, outChannels m: Int, channels c: Int) -> [Float] {
        var u = [Float](repeating: 0, count: 16 * m * c)
        for o in 0..<m {
            for i in 0..<c {
                let g = w + (o * c + i) * 9
                // t = G g (4×3), then u = t Gᵀ (4×4)
                for row in 0..<4 {
                    func gAt(_ r: Int, _ col: Int) -> Float { g[r * 3 + col] }
                    func tAt(_ col: Int) -> Float {
                        switch row {
                        case 0: return gAt(0, col)
                        case 1: return (gAt(0, col) + gAt(1, col) + gAt(2, col)) * 0.5
                        case 2: return (gAt(0, col) - gAt(1, col) + gAt(2, col)) * 0.5
                        default: return gAt(2, col)
                        }
                    }
                    let t0 = tAt(0), t1 = tAt(1), t2 = tAt(2)
                    let out = (t0, (t0 + t1 + t2) * 0.5, (t0 - t1 + t2) * 0.5, t2)
                    u[((row * 4 + 0) * m + o) * c + i] = out.0
                    u[((row * 4 + 1) * m + o) * c + i] = out.1
                    u[((row * 4 + 2) * m + o) * c + i] = out.2
                    u[((row * 4 + 3) * m + o) * c + i] = out.3
                }
            }
        }
        return u
    }

    /// Tiles per block: the 16 transformed input matrices of a block stay around 2 MiB.
    static func tilesPerBlock(channels: Int, tiles: Int) -> Int { min(tiles, max(64, (1 << 21) / (64 * channels))) }

    /// Scratch floats one call needs: V [16, C, block] and the GEMM results [16, M, block].
    public static func scratchFloats(_ s: ConvShape) -> Int {
        let tiles = ((s.geometry.outH + 1) / 2) * ((s.geometry.outW + 1) / 2)
        return 16 * (s.channels + s.outChannels) * tilesPerBlock(channels: s.channels, tiles: tiles)
    }

    /// y [N, M, outH, outW] = act(conv(x) + bias + residual); u from `transformWeights`.
    static func run(_ s: ConvShape, x: UnsafePointer<Float>, u: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                    residual: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, images: Int,
                    activation: Activation, threads: Int)
    {
        let g = s.geometry, c = s.channels, m = s.outChannels
        let tilesW = (g.outW + 1) / 2, tiles = ((g.outH + 1) / 2) * tilesW, pixels = g.outH * g.outW
        let block = tilesPerBlock(channels: c, tiles: tiles)
        // The 16 transformed matrices lie a power of two apart for many shapes, so the 16 streams a tile
        // transform writes would share L1 sets: 16 floats of skew between them.
        let sv = c * block + 16, sr = m * block + 16
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 16 * (sv + sr))
        defer { scratch.deallocate() }
        let v = scratch, r = scratch + 16 * sv
        let channelTasks = min(c, 4 * threads), outTasks = min(m, 4 * threads)
        for img in 0..<images {
            let xi = x + img * c * g.inH * g.inW, yi = y + img * m * pixels
            for b0 in stride(from: 0, to: tiles, by: block) {
                let nb = min(block, tiles - b0)
                Parallel.run(tasks: channelTasks, threads: threads) { task, _ in
                    for ch in stride(from: task, to: c, by: channelTasks) {
                        inputTiles(xi + ch * g.inH * g.inW, g, tilesW: tilesW, first: b0, count: nb, v + ch * nb, ld: sv)
                    }
                }
                // [M, C] · [C, nb] for each of the 16 positions
                Parallel.run(tasks: 16, threads: threads) { xi16, _ in
                    GEMM.sgemm(m: m, n: nb, k: c, a: u + xi16 * m * c, lda: c, b: v + xi16 * sv, ldb: nb,
                               c: r + xi16 * sr, ldc: nb)
                }
                Parallel.run(tasks: outTasks, threads: threads) { task, _ in
                    for o in stride(from: task, to: m, by: outTasks) {
                        outputTiles(r + o * nb, ld: sr, g, tilesW: tilesW, first: b0, count: nb, yi + o * pixels)
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

    // V_ξ[t] = (Bᵀ d B)_ξ for tiles [first, first+count) of one input plane; ξ-th matrix at v + ξ·ld.
    // Bᵀ = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]]
    @inline(__always)
    private static func inputTiles(_ plane: UnsafePointer<Float>, _ g: ConvGeometry, tilesW: Int, first: Int,
                                   count: Int, _ v: UnsafeMutablePointer<Float>, ld: Int)
    {
        for t in 0..<count {
            let ty = (first + t) / tilesW, tx = (first + t) % tilesW
            let y0 = 2 * ty - g.padTop, x0 = 2 * tx - g.padLeft
            @inline(__always) func row(_ r: Int) -> SIMD4<Float> {
                let iy = y0 + r
                if iy < 0 || iy >= g.inH { return .zero }
                let line = plane + iy * g.inW
                if x0 >= 0 && x0 + 4 <= g.inW { return SIMD4(line[x0], line[x0 + 1], line[x0 + 2], line[x0 + 3]) }
                var out = SIMD4<Float>()
                for k in 0..<4 where x0 + k >= 0 && x0 + k < g.inW { out[k] = line[x0 + k] }
                return out
            }
            let d = (row(0), row(1), row(2), row(3))
            // rows: Bᵀ d, then columns: (Bᵀ d) B, stored at ξ = 4·row + column
            let r0 = d.0 - d.2, r1 = d.1 + d.2, r2 = d.2 - d.1, r3 = d.1 - d.3
            @inline(__always) func store(_ i: Int, _ rv: SIMD4<Float>) {
                let base = v + (i * 4) * ld + t
                base[0] = rv[0] - rv[2]
                base[ld] = rv[1] + rv[2]
                base[2 * ld] = rv[2] - rv[1]
                base[3 * ld] = rv[1] - rv[3]
            }
            store(0, r0)
            store(1, r1)
            store(2, r2)
            store(3, r3)
        }
    }

    // y 2×2 tiles = Aᵀ m A for tiles [first, first+count) of one output channel; m_ξ[t] at r + ξ·ld + t.
    // Aᵀ = [[1,1,1,0],[0,1,-1,-1]]
    @inline(__always)
    private static func outputTiles(_ r: UnsafePointer<Float>, ld: Int, _ g: ConvGeometry, tilesW: Int, first: Int,
                                    count: Int, _ y: UnsafeMutablePointer<Float>)
    {
        for t in 0..<count {
            @inline(__always) func rowAt(_ i: Int) -> SIMD4<Float> {
                SIMD4(r[(i * 4) * ld + t], r[(i * 4 + 1) * ld + t], r[(i * 4 + 2) * ld + t], r[(i * 4 + 3) * ld + t])
            }
            let m0 = rowAt(0), m1 = rowAt(1), m2 = rowAt(2), m3 = rowAt(3)
            let a = m0 + m1 + m2, b = m1 - m2 - m3  // Aᵀ m: 2 rows of 4
            let ty = (first + t) / tilesW, tx = (first + t) % tilesW
            let oy = 2 * ty, ox = 2 * tx
            let o = y + oy * g.outW + ox
            let right = ox + 1 < g.outW, below = oy + 1 < g.outH
            o[0] = a[0] + a[1] + a[2]
            if right { o[1] = a[1] - a[2] - a[3] }
            if below {
                o[g.outW] = b[0] + b[1] + b[2]
                if right { o[g.outW + 1] = b[1] - b[2] - b[3] }
            }
        }
    }
}
