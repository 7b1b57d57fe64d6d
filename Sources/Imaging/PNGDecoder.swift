public import Foundation

/// PNG through libpng: gray, gray+alpha, RGB, RGBA, palette; 1–16 bit; Adam7.
/// 16-bit stays 16-bit, 1/2/4-bit gray is scaled to 8 bit, palette becomes RGB, alpha is dropped,
/// and no gamma correction is applied (medical PNGs carry raw values).
public struct PNGDecoder: ImageDecoder {
    public init() {}
    public var format: ImageFormat { .png }

    public func matches(_ header: Data) -> Bool {
        header.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    public func decode(_ data: Data, limits: DecodeLimits) throws(ImagingError) -> DecodedImage {
        let info = try pngInfo(data)
        try limits.check(rows: info.height, columns: info.width, frames: 1)
        let pixels = try pngDecode(data, info: info)
        let colourTypes = [0: "gray", 2: "RGB", 3: "palette", 4: "gray+alpha", 6: "RGBA"]
        return DecodedImage(
            format: .png, rows: info.height, columns: info.width, samplesPerPixel: info.channels,
            numberOfFrames: 1, bitsStored: info.bitDepth, isSigned: false, pixels: pixels,
            photometricInterpretation: info.channels == 1 ? "MONOCHROME2" : "RGB",
            sourceFacts: [
                ("format", "PNG"), ("width", String(info.width)), ("height", String(info.height)),
                ("bit depth", String(info.sourceBitDepth)),
                ("colour type", colourTypes[info.sourceColorType] ?? "type \(info.sourceColorType)"),
                ("interlace", info.interlaced ? "Adam7" : "none"),
                ("decoded as", "\(info.channels == 1 ? "gray" : "RGB") \(info.bitDepth)-bit"),
            ])
    }
}
