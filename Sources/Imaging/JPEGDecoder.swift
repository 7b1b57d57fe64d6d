public import Foundation
/// STUB
public struct JPEGDecoder: ImageDecoder {
    public init() {}
    public var format: ImageFormat { .jpeg }
    public func matches(_ header: Data) -> Bool { header.starts(with: [0xFF, 0xD8, 0xFF]) }
    public func decode(_ data: Data, limits: DecodeLimits) throws(ImagingError) -> DecodedImage {
        throw .unsupported(format: .jpeg, what: "stub")
    }
}
