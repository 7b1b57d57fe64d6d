public import Foundation

/// JPEG through libjpeg-turbo: baseline and progressive 8-bit, grayscale or YCbCr (to RGB), with the
/// EXIF orientation applied. CMYK and 12-bit JPEGs are refused as unsupported.
public struct JPEGDecoder: ImageDecoder {
    public init() {}
    public var format: ImageFormat { .jpeg }

    public func matches(_ header: Data) -> Bool { header.starts(with: [0xFF, 0xD8, 0xFF]) }

    public func decode(_ data: Data, limits: DecodeLimits) throws(ImagingError) -> DecodedImage {
        let info = try jpegInfo(data)
        try limits.check(rows: info.height, columns: info.width, frames: 1)
        let pixels = try jpegDecode(data, info: info, applyOrientation: true, colorTransform: true)
        let spaces = [1: "grayscale", 2: "RGB", 3: "YCbCr", 4: "CMYK", 5: "YCCK"]
        return DecodedImage(
            format: .jpeg, rows: info.height, columns: info.width, samplesPerPixel: info.channels,
            numberOfFrames: 1, bitsStored: 8, isSigned: false, pixels: .uint8(pixels),
            photometricInterpretation: info.channels == 1 ? "MONOCHROME2" : "RGB",
            sourceFacts: [
                ("format", "JPEG"), ("width", String(info.width)), ("height", String(info.height)),
                ("bit depth", String(info.sourceBitDepth)),
                ("colour type", spaces[info.sourceColorType] ?? "space \(info.sourceColorType)"),
                ("components", String(info.sourceChannels)),
                ("process", info.interlaced ? "progressive" : "baseline"),
                ("orientation", String(info.orientation)),
            ])
    }
}
