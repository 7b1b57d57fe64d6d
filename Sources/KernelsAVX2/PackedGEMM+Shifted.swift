extension PackedGEMM {
    /// A stride-1 convolution without im2col: C[m × n] = A · B where A is the weights packed by `packA`
    /// (k = channels · taps, in w's [C][kH][kW] order) and B's column q, row (c, t) is `x[c · plane + q + offsets[t]]`.
    ///
    /// `x` is the zero-padded input of one image, flat: with Wp its padded width, output pixel (oy, ox) is
    /// q = oy · Wp + ox and reads x[c · plane + q + ky · dilH · Wp + kx · dilW]. Every column q reads a
    /// contiguous run, so 16 outputs are one strip of B straight from the input; the columns with
    /// ox ≥ outW are computed and dropped by the caller. Reads reach x[(channels - 1) · plane + n + 15 +
    /// max(offsets)]: the buffer needs that many floats, defined.
    /// `readable`: floats of x that may be read (default: all that the formula reaches). A final partial strip
    /// whose 16-wide reads would pass it is copied into a zero-padded strip first, so x can be a tensor
    /// with nothing after it (the 1×1 path reads the input in place).
    @inline(never)
    public static func multiplyShifted(m: Int, n: Int, channels: Int, offsets: UnsafePointer<Int>, taps: Int,
                                       plane: Int, packedA a: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                       c: UnsafeMutablePointer<Float>, ldc: Int, readable: Int = .max)
    {
        let k = channels * taps
        guard m > 0, n > 0 else { return }
        guard k > 0 else { return zero(m: m, n: n, c: c, ldc: ldc) }
        // Channel blocks, as K blocks in `multiply`: a block's A (m × cb·taps) and one strip's input rows
        // (cb × kH rows × 16 + halo) stay in L1/L2 while the panels and strips walk over them. One tap uses
        // `multiply`'s blocks exactly (both give the same bits); with taps, blocks of up to 256 steps whatever
        // M (ResNet-18's 512-channel 3×3 layers were 8 % slower with `kBlock`'s 128).
        let cb = taps == 1 ? kBlock(m: m, k: k) : max(1, min(channels, maxKC / taps))
        let koff = UnsafeMutablePointer<Int>.allocate(capacity: cb * taps)
        let tail = UnsafeMutablePointer<Float>.allocate(capacity: cb * taps * nr)
        defer { koff.deallocate(); tail.deallocate() }
        var maxOffset = 0
        for t in 0..<taps { maxOffset = max(maxOffset, offsets[t]) }
        for c0 in stride(from: 0, to: channels, by: cb) {
            let cn = min(cb, channels - c0), kb = cn * taps
            // One flat loop over the block's (channel, tap) steps keeps the accumulators in registers
            // (nested loops made the compiler spill them per channel): byte offset of each step's B row.
            for i in 0..<kb { koff[i] = ((c0 + i / taps) * plane + offsets[i % taps]) * 4 }
            for j in stride(from: 0, to: n, by: nr) {
                let cols = min(nr, n - j), base = UnsafeRawPointer(x + j)
                if (c0 + cn - 1) * plane + j + nr + maxOffset > readable {
                    // [kb][16] strip from the in-bounds columns only, the rest zero.
                    for i in 0..<kb {
                        let row = (base + koff[i]).assumingMemoryBound(to: Float.self), to = tail + i * nr
                        for q in 0..<nr { to[q] = q < cols ? row[q] : 0 }
                    }
                    for p in stride(from: 0, to: m, by: mr) {
                        micro(kb, a + p * k + c0 * taps * mr, tail, c + p * ldc + j, ldc: ldc,
                              rows: min(mr, m - p), cols: cols, accumulate: c0 > 0)
                    }
                    continue
                }
                for p in stride(from: 0, to: m, by: mr) {
                    micro(kb, a + p * k + c0 * taps * mr, base, offsets: koff, c + p * ldc + j, ldc: ldc,
                          rows: min(mr, m - p), cols: cols, accumulate: c0 > 0)
                }
            }
        }
    }
}
