extension PackedGEMM {
    /// A stride-1 convolution without im2col: C[m × n] = A · B where A is the weights packed by `packA`
    /// (k = channels · taps, in w's [C][kH][kW] order) and B's column q, row (c, t) is `x[c · plane + q + offsets[t]]`.
    ///
    /// `x` is the zero-padded input of one image, flat: with Wp its padded width, output pixel (oy, ox) is
    /// q = oy · Wp + ox and reads x[c · plane + q + ky · dilH · Wp + kx · dilW]. Every column q reads a
    /// contiguous run, so 16 outputs are one strip of B straight from the input; the columns with
    /// ox ≥ outW are computed and dropped by the caller. Reads reach x[(channels - 1) · plane + n + 15 +
    /// max(offsets)]: the buffer needs that many floats, defined.
    @inline(never)
    public static func multiplyShifted(m: Int, n: Int, channels: Int, offsets: UnsafePointer<Int>, taps: Int,
                                       plane: Int, packedA a: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                       c: UnsafeMutablePointer<Float>, ldc: Int)
    {
        let k = channels * taps
        // Channel blocks, as K blocks in `multiply`: a block's A (m × cb·taps) and one strip's input rows
        // (cb × kH rows × 16 + halo) stay in L1/L2 while the panels and strips walk over them.
        let cb = max(1, min(channels, maxKC / taps))
        let koff = UnsafeMutablePointer<Int>.allocate(capacity: cb * taps)
        defer { koff.deallocate() }
        do {
            for c0 in stride(from: 0, to: channels, by: cb) {
                let cn = min(cb, channels - c0), kb = cn * taps
                // One flat loop over the block's (channel, tap) steps keeps the accumulators in registers
                // (nested loops made the compiler spill them per channel): byte offset of each step's B row.
                for i in 0..<kb { koff[i] = ((c0 + i / taps) * plane + offsets[i % taps]) * 4 }
                for j in stride(from: 0, to: n, by: nr) {
                    let cols = min(nr, n - j), base = UnsafeRawPointer(x + j)
                    for p in stride(from: 0, to: m, by: mr) {
                        micro(kb, a + p * k + c0 * taps * mr, base, offsets: koff, c + p * ldc + j, ldc: ldc,
                              rows: min(mr, m - p), cols: cols, accumulate: c0 > 0)
                    }
                }
            }
        }
    }
}
