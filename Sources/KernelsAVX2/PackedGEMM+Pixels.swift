extension PackedGEMM {
    /// Floats of `packStrips` for `m` rows of depth `k` (rows padded to a multiple of `nr`).
    public static func stripsCount(m: Int, k: Int) -> Int { blocksCount(m: m, k: k, width: nr) }

    /// Packs row-major W [m × k] (row stride `lda`) into strips of `nr` rows: strip s is k steps of 16 floats,
    /// rows 16s..<16s+16 of one column each, missing rows zero. `packed` holds `stripsCount(m:k:)` floats.
    @inline(never)
    public static func packStrips(_ w: UnsafePointer<Float>, lda: Int, m: Int, k: Int, into packed: UnsafeMutablePointer<Float>) {
        pack(w, lda: lda, m: m, k: k, width: nr, into: packed)
    }

    /// A convolution with the output pixels as the micro-tile's rows: Y[m × n] = W · X, where W is the weights
    /// packed by `packStrips` (depth k, in w's [C][kH][kW] order) and X's column j, row kk is
    /// `x[sources[j] + steps[kk]]` (output pixel j's window start, plus channel · plane + tap offset).
    ///
    /// The transpose of `multiplyShifted`: a micro-tile is 6 pixels × 16 output channels, the pixels'
    /// inputs broadcast and 16 channels' weights loaded per step. Small layers waste less of it: a 7×7 output
    /// is 9 panels of 6 (54 for 49) where strips of 16 columns compute 64, and M = 32 is two strips where
    /// panels of 6 compute 36. The pixels need not be contiguous, so a window-based conv computes no
    /// columns past the row ends.
    ///
    /// y[ch · ldy + j] for ch < m, j < n is overwritten; `fused` (bias per output channel, residual laid
    /// out like y with row stride `fused.ldr`, ReLU) is applied as each tile is stored. Each element is the
    /// sum over k in order, whatever n, the pixel's panel or the other channels (batch invariance).
    @inline(never)
    public static func multiplyPixels(m: Int, n: Int, k: Int, strips w: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                      sources: UnsafePointer<Int>, steps: UnsafePointer<Int>,
                                      y: UnsafeMutablePointer<Float>, ldy: Int, fused: Fused = .none)
    {
        guard m > 0, n > 0 else { return }
        // No K blocks: each tile is stored once (its transposed store costs ~20 % of a 256-step block).
        let koff = UnsafeMutablePointer<Int>.allocate(capacity: max(1, k))
        defer { koff.deallocate() }
        for i in 0..<k { koff[i] = steps[i] * 4 }
        let base = UnsafeRawPointer(x)
        // Panel outer, strips inner: the panel's input lines are reused by every strip while the weight
        // strips stream in order.
        for j in stride(from: 0, to: n, by: mr) {
            let rows = min(mr, n - j)
            // A short panel repeats its last pixel: read, never stored.
            @inline(__always) func src(_ i: Int) -> UnsafeRawPointer { base + sources[j + min(i, rows - 1)] * 4 }
            let p0 = src(0), p1 = src(1), p2 = src(2), p3 = src(3), p4 = src(4), p5 = src(5)
            for s in stride(from: 0, to: m, by: nr) {
                var t = Tile()
                var wp = UnsafeRawPointer(w + s * k)
                for i in 0..<k {
                    t.step(p0, p1, p2, p3, p4, p5, koff[i], wp)
                    wp += 64
                }
                t.storeTransposed(y + s * ldy + j, ldy: ldy, pixels: rows, channels: min(nr, m - s), fused.at(row: s, col: j))
            }
        }
    }
}

extension Tile {
    // Pixel i's accumulators += x[p_i + o] · w[0..<16]
    @inline(__always)
    mutating func step(_ p0: UnsafeRawPointer, _ p1: UnsafeRawPointer, _ p2: UnsafeRawPointer, _ p3: UnsafeRawPointer,
                       _ p4: UnsafeRawPointer, _ p5: UnsafeRawPointer, _ o: Int, _ w: UnsafeRawPointer) {
        let b0 = w.loadUnaligned(as: V.self), b1 = (w + 32).loadUnaligned(as: V.self)
        var x = V(repeating: (p0 + o).loadUnaligned(as: Float.self)); c00.addProduct(x, b0); c01.addProduct(x, b1)
        x = V(repeating: (p1 + o).loadUnaligned(as: Float.self)); c10.addProduct(x, b0); c11.addProduct(x, b1)
        x = V(repeating: (p2 + o).loadUnaligned(as: Float.self)); c20.addProduct(x, b0); c21.addProduct(x, b1)
        x = V(repeating: (p3 + o).loadUnaligned(as: Float.self)); c30.addProduct(x, b0); c31.addProduct(x, b1)
        x = V(repeating: (p4 + o).loadUnaligned(as: Float.self)); c40.addProduct(x, b0); c41.addProduct(x, b1)
        x = V(repeating: (p5 + o).loadUnaligned(as: Float.self)); c50.addProduct(x, b0); c51.addProduct(x, b1)
    }

    /// The tile's row i (pixel) and column ch (channel) to y[ch · ldy + i] for ch < channels, i < pixels, after
    /// `fused` (bias of channel ch at fused.bias[ch], residual at fused.residual[ch · fused.ldr + i], ReLU) in
    /// the order of `store`.
    @inline(__always)
    func storeTransposed(_ y: UnsafeMutablePointer<Float>, ldy: Int, pixels: Int, channels: Int, _ fused: PackedGEMM.Fused) {
        var t = self
        // Without a residual, bias and ReLU run on the registers: a tile row holds 16 channels.
        let inRegisters = fused.residual == nil
        if inRegisters {
            if let b = fused.bias {
                var b0 = V(), b1 = V()
                for ch in 0..<channels { if ch < 8 { b0[ch] = b[ch] } else { b1[ch - 8] = b[ch] } }
                t.c00 += b0; t.c01 += b1; t.c10 += b0; t.c11 += b1; t.c20 += b0; t.c21 += b1
                t.c30 += b0; t.c31 += b1; t.c40 += b0; t.c41 += b1; t.c50 += b0; t.c51 += b1
            }
            if fused.relu {
                @inline(__always) func relu(_ v: inout V) { v = v.replacing(with: 0, where: v .<= 0) }
                relu(&t.c00); relu(&t.c01); relu(&t.c10); relu(&t.c11); relu(&t.c20); relu(&t.c21)
                relu(&t.c30); relu(&t.c31); relu(&t.c40); relu(&t.c41); relu(&t.c50); relu(&t.c51)
            }
        }
        withUnsafeTemporaryAllocation(of: V.self, capacity: 12) { s in
            s[0] = t.c00; s[1] = t.c01; s[2] = t.c10; s[3] = t.c11; s[4] = t.c20; s[5] = t.c21
            s[6] = t.c30; s[7] = t.c31; s[8] = t.c40; s[9] = t.c41; s[10] = t.c50; s[11] = t.c51
            UnsafeRawPointer(s.baseAddress!).withMemoryRebound(to: Float.self, capacity: 96) { f in
                if inRegisters && pixels == PackedGEMM.mr && channels == PackedGEMM.nr {
                    for ch in 0..<16 {  // constant bounds: unrolled
                        let row = y + ch * ldy
                        for i in 0..<6 { row[i] = f[i * 16 + ch] }
                    }
                    return
                }
                for ch in 0..<channels {
                    let row = y + ch * ldy
                    if inRegisters {
                        for i in 0..<pixels { row[i] = f[i * 16 + ch] }
                        continue
                    }
                    let b = fused.bias?[ch] ?? 0, res = fused.residual! + ch * fused.ldr
                    for i in 0..<pixels {
                        var v = f[i * 16 + ch] + b
                        v = v + res[i]
                        if fused.relu { v = max(v, 0) }
                        row[i] = v
                    }
                }
            }
        }
    }
}
