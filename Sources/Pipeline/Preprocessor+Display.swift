/// The 8-bit gray image the preprocessor made before resizing (windowed, MONOCHROME1 inverted, colour
/// reduced to luminance), in the source geometry: what an overlay is drawn on.
public struct DisplayImage: Sendable, Equatable {
    /// `rows × columns` bytes, row-major, 255 brightest.
    public var gray: [UInt8]
    public var rows: Int
    public var columns: Int
}

extension Preprocessor {
    /// One preprocessed sample.
    public struct Sample: Sendable {
        /// `sampleShape`, row-major.
        public var values: [Float]
        public var applied: Applied
        public var display: DisplayImage
    }

    /// Interleaved 8-bit RGB to gray as Pillow's `convert("L")`: L = (R·19595 + G·38470 + B·7471 + 0x8000) >> 16.
    static func luminance(_ rgb: [UInt8]) -> [UInt8] {
        var gray = [UInt8](repeating: 0, count: rgb.count / 3)
        for p in 0..<gray.count {
            let r = Int(rgb[3 * p]) * 19595, g = Int(rgb[3 * p + 1]) * 38470, b = Int(rgb[3 * p + 2]) * 7471
            gray[p] = UInt8((r + g + b + 0x8000) >> 16)
        }
        return gray
    }
}
