/// YBR to RGB as pydicom 3 does it (`convert_color_space`, float32 arithmetic, round half up, clip).
enum ColorConversion {
    private static let cbG = Float(-0.114 * 1.772 / 0.587)
    private static let crG = Float(-0.299 * 1.402 / 0.587)

    /// YBR_FULL (PS3.3 C.7.6.3.1.2) 8-bit interleaved samples -> RGB, in place.
    static func ybrFullToRGB(_ a: inout [UInt8]) {
        var i = 0
        while i + 2 < a.count {
            let y = Float(a[i]), cb = Float(a[i + 1]) - 128, cr = Float(a[i + 2]) - 128
            // Same sum order as numpy's matmul of [y, cb, cr] by the 3x3 matrix.
            let r = y * 1.0 + cb * 0.0 + cr * Float(1.402)
            let g = y * 1.0 + cb * cbG + cr * crG
            let b = y * 1.0 + cb * Float(1.772) + cr * 0.0
            a[i] = clip8(r)
            a[i + 1] = clip8(g)
            a[i + 2] = clip8(b)
            i += 3
        }
    }

    private static func clip8(_ v: Float) -> UInt8 {
        let r = (v + 0.5).rounded(.down)
        return r <= 0 ? 0 : (r >= 255 ? 255 : UInt8(r))
    }

    /// YBR_FULL_422 uncompressed (Y0 Y1 Cb Cr per pixel pair, flat over the frame) -> YBR_FULL.
    static func expand422(_ src: [UInt8], pixels: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: pixels * 3)
        var s = 0, o = 0
        while s + 3 < src.count && o + 5 < out.count {
            out[o] = src[s]
            out[o + 3] = src[s + 1]
            out[o + 1] = src[s + 2]
            out[o + 4] = src[s + 2]
            out[o + 2] = src[s + 3]
            out[o + 5] = src[s + 3]
            s += 4
            o += 6
        }
        return out
    }
}
