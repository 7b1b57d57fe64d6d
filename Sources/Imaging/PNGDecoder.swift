public import Foundation
/// STUB
public struct PNGDecoder: ImageDecoder {
    public init() {}
    public var format: ImageFormat { .png }
    public func matches(_ header: Data) -> Bool { header.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) }
    public func decode(_ data: Data, limits: DecodeLimits) throws(ImagingError) -> DecodedImage {
        throw .unsupported(format: .png, what: "stub")
    }
}
