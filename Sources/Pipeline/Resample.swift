/// The interpolation kernels of Pillow's `Image.Resampling` that `Resample.resize8` supports.
public enum ResampleFilter: String, Sendable, CaseIterable, Codable {
    /// Pillow `Resampling.BICUBIC` (Keys cubic, a = -0.5, support 2) — `Image.resize`'s default.
    case bicubic
    /// Pillow `Resampling.BILINEAR` (triangle, support 1).
    case bilinear
    /// Pillow `Resampling.BOX` (box, support 0.5): an area average when shrinking.
    case box

    /// Half-width of the filter kernel in source pixels before scaling.
    var support: Double {
        switch self {
        case .bicubic: 2.0
        case .bilinear: 1.0
        case .box: 0.5
        }
    }

    /// The kernel, written with the same operation order as Pillow's C functions.
    func weight(_ x: Double) -> Double {
        switch self {
        case .box:
            return x > -0.5 && x <= 0.5 ? 1.0 : 0.0
        case .bilinear:
            let x = x < 0.0 ? -x : x
            return x < 1.0 ? 1.0 - x : 0.0
        case .bicubic:
            let a = -0.5
            let x = x < 0.0 ? -x : x
            if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
            if x < 2.0 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0.0
        }
    }
}

/// Why `Resample.resize8` refused its arguments.
public enum ResampleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A width, height or channel count below 1.
    case invalidSize(width: Int, height: Int, channels: Int, toWidth: Int, toHeight: Int)
    /// The buffer does not hold `width * height * channels` samples.
    case bufferLength(expected: Int, actual: Int)
    /// Sizes whose products or coefficient tables would overflow.
    case tooLarge

    public var description: String {
        switch self {
        case let .invalidSize(w, h, c, tw, th):
            "resample: sizes must be >= 1 (input \(w)x\(h)x\(c), output \(tw)x\(th))"
        case let .bufferLength(expected, actual):
            "resample: buffer holds \(actual) samples, expected \(expected)"
        case .tooLarge:
            "resample: image too large"
        }
    }
}

/// Separable image resampling that reproduces Pillow's `Image.resize` for 8-bit images.
///
/// This is an independent Swift reimplementation of the algorithm in Pillow's
/// `src/libImaging/Resample.c` (Pillow is © Jeffrey A. Clark and contributors, © Secret Labs AB and
/// Fredrik Lundh, HPND licence). No code is copied; only the arithmetic is followed step by step so
/// that results are bit-exact with Pillow 13 for modes `L` and `RGB`:
///
/// 1. Per axis, coefficients are computed in `Double` (`precompute_coeffs`): scale = in / out, the
///    filter's support is widened by `max(scale, 1)` (antialiasing when shrinking), the source window of
///    output pixel `i` is `[xmin, xmin + count)` with `xmin = trunc(center - support + 0.5)` clamped to 0
///    and `xmax = trunc(center + support + 0.5)` clamped to the input size, where
///    `center = (i + 0.5) * scale`; the weights `filter((x + xmin - center + 0.5) * (1 / filterscale))` are
///    normalised to sum 1.
/// 2. The weights are rounded (half away from zero) to fixed point with 22 fraction bits
///    (`PRECISION_BITS = 32 - 8 - 2`).
/// 3. The horizontal pass runs first (always, when the width changes) into an 8-bit intermediate image,
///    then the vertical pass; each output sample is `(2^21 + Σ sample · weight) >> 22` (Pillow sums
///    in a 32-bit int, which these kernels never overflow; we sum in `Int`), saturated to 0...255.
///    A pass is skipped when its dimension is unchanged; when neither changes the input is copied.
///
/// Channels are resampled independently, as Pillow does for `L` and `RGB`. (Pillow's `Image.resize`
/// premultiplies alpha for `LA`/`RGBA`, so 2- and 4-channel inputs do not match `Image.resize` on those
/// modes; only `L` and `RGB` are checked against Pillow fixtures.)
public enum Resample {
    /// Fixed-point fraction bits of the 8-bit path: 8 bits of sample, 2 bits of headroom.
    static let precisionBits = 32 - 8 - 2

    /// One axis' fixed-point coefficients: output `i` reads `count[i]` inputs from `start[i]`,
    /// weights at `weights[i * stride ..< i * stride + count[i]]`.
    struct Coefficients {
        var start: [Int]
        var count: [Int]
        var weights: [Int32]
        var stride: Int
    }

    /// Pillow's `precompute_coeffs` followed by `normalize_coeffs_8bpc` for the box `[0, inSize)`.
    static func coefficients(inSize: Int, outSize: Int, filter: ResampleFilter) -> Coefficients {
        // box = (0, inSize) as Float in Pillow; exact for any realistic size.
        let scale = Double(Float(inSize) - Float(0)) / Double(outSize)
        let filterscale = max(scale, 1.0)
        let support = filter.support * filterscale
        let stride = Int(support.rounded(.up)) * 2 + 1
        let invFilterscale = 1.0 / filterscale
        let one = Double(1 << precisionBits)
        var start = [Int](repeating: 0, count: outSize)
        var count = [Int](repeating: 0, count: outSize)
        var weights = [Int32](repeating: 0, count: outSize * stride)
        var k = [Double](repeating: 0, count: stride)
        for xx in 0..<outSize {
            let center = 0.0 + (Double(xx) + 0.5) * scale
            var ww = 0.0
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), inSize) - xmin
            for x in 0..<max(xmax, 0) {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * invFilterscale)
                k[x] = w
                ww += w
            }
            if ww != 0.0 {
                for x in 0..<max(xmax, 0) { k[x] /= ww }
            }
            for x in 0..<max(xmax, 0) {
                // C's `(int)(±0.5 + v * 2^22)`: truncation, i.e. rounding half away from zero. The clamp only
                // keeps a degenerate weight from trapping; normalised weights are far inside Int32.
                let r = (k[x] < 0 ? -0.5 + k[x] * one : 0.5 + k[x] * one).clamped(to: -2.0e9...2.0e9)
                weights[xx * stride + x] = Int32(r.isNaN ? 0 : r)
            }
            start[xx] = xmin
            count[xx] = max(xmax, 0)
        }
        return Coefficients(start: start, count: count, weights: weights, stride: stride)
    }

    /// Pillow's `clip8`: drop the fraction bits, saturate to 0...255.
    @inline(__always)
    static func clip8(_ sum: Int) -> UInt8 {
        let v = sum >> precisionBits
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(truncatingIfNeeded: v))
    }

    /// Resizes an interleaved (HWC, row-major) 8-bit image exactly as Pillow 13's
    /// `Image.resize((toWidth, toHeight), filter)` does for modes `L` (1 channel) and `RGB` (3 channels).
    ///
    /// - Parameters:
    ///   - src: `height * width * channels` samples.
    ///   - filter: `.bicubic` is what `Image.resize` uses when no filter is given.
    /// - Returns: `toHeight * toWidth * channels` samples, interleaved.
    /// - Throws: `ResampleError` for sizes below 1 or a buffer of the wrong length.
    public static func resize8(
        _ src: [UInt8], width: Int, height: Int, channels: Int,
        toWidth: Int, toHeight: Int, filter: ResampleFilter = .bicubic
    ) throws(ResampleError) -> [UInt8] {
        guard width >= 1, height >= 1, channels >= 1, toWidth >= 1, toHeight >= 1 else {
            throw .invalidSize(width: width, height: height, channels: channels,
                               toWidth: toWidth, toHeight: toHeight)
        }
        let limit = Int(Int32.max)
        guard width <= limit, height <= limit, toWidth <= limit, toHeight <= limit, channels <= 64 else {
            throw .tooLarge
        }
        let (rowIn, o1) = width.multipliedReportingOverflow(by: channels)
        let (expected, o2) = rowIn.multipliedReportingOverflow(by: height)
        let (rowOut, o3) = toWidth.multipliedReportingOverflow(by: channels)
        let (_, o4) = rowOut.multipliedReportingOverflow(by: max(toHeight, height))
        guard !o1, !o2, !o3, !o4 else { throw .tooLarge }
        guard src.count == expected else { throw .bufferLength(expected: expected, actual: src.count) }

        var image = src
        var w = width
        if toWidth != width {
            image = horizontal(image, width: width, height: height, channels: channels, toWidth: toWidth,
                               filter: filter)
            w = toWidth
        }
        if toHeight != height {
            image = vertical(image, width: w, height: height, channels: channels, toHeight: toHeight,
                             filter: filter)
        }
        return image
    }

    /// Pillow's `_ImagingResampleHorizontal_8bpc` over every row (Pillow limits it to the rows the
    /// vertical pass reads, which does not change any value).
    static func horizontal(
        _ src: [UInt8], width: Int, height: Int, channels: Int, toWidth: Int, filter: ResampleFilter
    ) -> [UInt8] {
        let c = coefficients(inSize: width, outSize: toWidth, filter: filter)
        let half = 1 << (precisionBits - 1)
        var out = [UInt8](repeating: 0, count: toWidth * height * channels)
        src.withUnsafeBufferPointer { s in
            c.weights.withUnsafeBufferPointer { k in
                out.withUnsafeMutableBufferPointer { o in
                    for y in 0..<height {
                        let rowIn = y * width * channels
                        let rowOut = y * toWidth * channels
                        for xx in 0..<toWidth {
                            let xmin = c.start[xx], n = c.count[xx], kb = xx * c.stride
                            for ch in 0..<channels {
                                var ss = half
                                var p = rowIn + xmin * channels + ch
                                for x in 0..<n {
                                    ss += Int(s[p]) * Int(k[kb + x])
                                    p += channels
                                }
                                o[rowOut + xx * channels + ch] = clip8(ss)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Pillow's `_ImagingResampleVertical_8bpc`.
    static func vertical(
        _ src: [UInt8], width: Int, height: Int, channels: Int, toHeight: Int, filter: ResampleFilter
    ) -> [UInt8] {
        let c = coefficients(inSize: height, outSize: toHeight, filter: filter)
        let half = 1 << (precisionBits - 1)
        let row = width * channels
        var out = [UInt8](repeating: 0, count: row * toHeight)
        src.withUnsafeBufferPointer { s in
            c.weights.withUnsafeBufferPointer { k in
                out.withUnsafeMutableBufferPointer { o in
                    for yy in 0..<toHeight {
                        let ymin = c.start[yy], n = c.count[yy], kb = yy * c.stride
                        let rowOut = yy * row
                        for i in 0..<row {
                            var ss = half
                            var p = ymin * row + i
                            for y in 0..<n {
                                ss += Int(s[p]) * Int(k[kb + y])
                                p += row
                            }
                            o[rowOut + i] = clip8(ss)
                        }
                    }
                }
            }
        }
        return out
    }
}

extension Double {
    fileprivate func clamped(to range: ClosedRange<Double>) -> Double {
        Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
    }
}
