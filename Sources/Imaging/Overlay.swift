/// Overlays drawn over an 8-bit gray image (the windowed image a model saw): a class activation or
/// sensitivity map as a colour map, or a segmentation mask as its contour. Output is interleaved 8-bit
/// RGB, `width × height × 3` bytes, ready for `PNGEncoder.encode(…, channels: 3, …)`.
public enum Overlay {
    /// An 8-bit RGB colour.
    public struct Color: Sendable, Equatable {
        public var r: UInt8, g: UInt8, b: UInt8
        public init(r: UInt8, g: UInt8, b: UInt8) { self.r = r; self.g = g; self.b = b }
        public static let red = Color(r: 255, g: 0, b: 0)
        public static let green = Color(r: 0, g: 255, b: 0)
        public static let yellow = Color(r: 255, g: 255, b: 0)
    }

    /// The 'jet' colour map stops (value → RGB in 0...1), linearly interpolated between neighbours:
    ///
    /// | value | colour | RGB |
    /// |---|---|---|
    /// | 0     | dark blue  | (0, 0, 0.5) |
    /// | 0.125 | blue       | (0, 0, 1)   |
    /// | 0.375 | cyan       | (0, 1, 1)   |
    /// | 0.625 | yellow     | (1, 1, 0)   |
    /// | 0.875 | red        | (1, 0, 0)   |
    /// | 1     | dark red   | (0.5, 0, 0) |
    ///
    /// These are matplotlib's `jet` stops; values outside 0...1 are clamped and NaN counts as 0.
    public static let jetStops: [(value: Float, r: Float, g: Float, b: Float)] = [
        (0, 0, 0, 0.5), (0.125, 0, 0, 1), (0.375, 0, 1, 1), (0.625, 1, 1, 0), (0.875, 1, 0, 0), (1, 0.5, 0, 0),
    ]

    /// The jet colour of `value` as RGB in 0...1.
    public static func jet(_ value: Float) -> (r: Float, g: Float, b: Float) {
        let t = value.isNaN ? 0 : min(max(value, 0), 1)
        let stops = jetStops
        for i in 1..<stops.count where t <= stops[i].value {
            let a = stops[i - 1], b = stops[i]
            let f = (t - a.value) / (b.value - a.value)
            return (a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b))
        }
        let last = stops[stops.count - 1]
        return (last.r, last.g, last.b)
    }

    /// Bilinear resize of a `mapWidth × mapHeight` map to `width × height` with pixel centres aligned
    /// (source x = (x + 0.5) · mapWidth / width − 0.5, clamped to the map's edge), as Pillow and OpenCV
    /// do; a 1×1 map becomes a constant.
    public static func upsample(map: [Float], mapWidth: Int, mapHeight: Int, width: Int, height: Int)
        throws(ImagingError) -> [Float]
    {
        try checkSize(width: width, height: height)
        try checkSize(width: mapWidth, height: mapHeight, what: "map")
        guard map.count == mapWidth * mapHeight else {
            throw .invalidArgument(what: "map length",
                                   reason: "\(map.count) values for a \(mapWidth)×\(mapHeight) map (needs \(mapWidth * mapHeight))")
        }
        // Per column: the two source columns and the weight of the second.
        func taps(_ n: Int, _ source: Int) -> [(Int, Int, Float)] {
            let scale = Float(source) / Float(n)
            return (0..<n).map { i in
                let s = min(max((Float(i) + 0.5) * scale - 0.5, 0), Float(source - 1))
                let i0 = min(Int(s), source - 1)
                let i1 = min(i0 + 1, source - 1)
                return (i0, i1, s - Float(i0))
            }
        }
        let xs = taps(width, mapWidth), ys = taps(height, mapHeight)
        var out = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let (y0, y1, fy) = ys[y]
            for x in 0..<width {
                let (x0, x1, fx) = xs[x]
                let top = map[y0 * mapWidth + x0] * (1 - fx) + map[y0 * mapWidth + x1] * fx
                let bottom = map[y1 * mapWidth + x0] * (1 - fx) + map[y1 * mapWidth + x1] * fx
                out[y * width + x] = top * (1 - fy) + bottom * fy
            }
        }
        return out
    }

    /// The gray image with `map` (values 0...1, `mapWidth × mapHeight`, row-major) upsampled bilinearly
    /// to the image size, coloured with `jet` and blended over it:
    /// out = round((1 − alpha) · gray + alpha · 255 · jet(value)) per channel. `alpha` is clamped to 0...1.
    /// - Throws: `.invalidArgument` when a size is below 1 or a buffer length does not match its size.
    public static func heatmap(gray: [UInt8], width: Int, height: Int, map: [Float], mapWidth: Int, mapHeight: Int,
                               alpha: Float) throws(ImagingError) -> [UInt8]
    {
        try checkGray(gray, width: width, height: height)
        let values = try upsample(map: map, mapWidth: mapWidth, mapHeight: mapHeight, width: width, height: height)
        let a = alpha.isNaN ? 0 : min(max(alpha, 0), 1)
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            let c = jet(values[i])
            let g = (1 - a) * Float(gray[i])
            out[3 * i] = blend(g, a * 255 * c.r)
            out[3 * i + 1] = blend(g, a * 255 * c.g)
            out[3 * i + 2] = blend(g, a * 255 * c.b)
        }
        return out
    }

    /// The gray image as RGB with the boundary of `mask` drawn in `color`. A boundary pixel is a mask pixel
    /// with at least one of its four neighbours outside the mask or outside the image; every other pixel
    /// keeps its gray value.
    /// - Throws: `.invalidArgument` when a size is below 1 or a buffer length does not match its size.
    public static func maskContour(gray: [UInt8], width: Int, height: Int, mask: [Bool], color: Color = .red)
        throws(ImagingError) -> [UInt8]
    {
        try checkGray(gray, width: width, height: height)
        guard mask.count == width * height else {
            throw .invalidArgument(what: "mask length",
                                   reason: "\(mask.count) values for a \(width)×\(height) image (needs \(width * height))")
        }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                func inside(_ xx: Int, _ yy: Int) -> Bool {
                    xx >= 0 && yy >= 0 && xx < width && yy < height && mask[yy * width + xx]
                }
                let edge = mask[i] && !(inside(x - 1, y) && inside(x + 1, y) && inside(x, y - 1) && inside(x, y + 1))
                if edge {
                    out[3 * i] = color.r; out[3 * i + 1] = color.g; out[3 * i + 2] = color.b
                } else {
                    out[3 * i] = gray[i]; out[3 * i + 1] = gray[i]; out[3 * i + 2] = gray[i]
                }
            }
        }
        return out
    }

    private static func blend(_ a: Float, _ b: Float) -> UInt8 {
        UInt8(min(max((a + b).rounded(), 0), 255))
    }

    private static func checkSize(width: Int, height: Int, what: String = "image") throws(ImagingError) {
        guard width >= 1, height >= 1, width <= 1 << 16, height <= 1 << 16 else {
            throw .invalidArgument(what: "\(what) size", reason: "\(width)×\(height); each side must be 1...65536")
        }
    }

    private static func checkGray(_ gray: [UInt8], width: Int, height: Int) throws(ImagingError) {
        try checkSize(width: width, height: height)
        guard gray.count == width * height else {
            throw .invalidArgument(what: "gray image length",
                                   reason: "\(gray.count) bytes for a \(width)×\(height) image (needs \(width * height))")
        }
    }
}
