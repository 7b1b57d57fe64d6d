public import Foundation
internal import DICOM
/// STUB
public struct DICOMImageDecoder: ImageDecoder {
    public init() {}
    public var format: ImageFormat { .dicom }
    public func matches(_ header: Data) -> Bool { DICOMParser.looksLikeDICOM(header) }
    public func decode(_ data: Data, limits: DecodeLimits) throws(ImagingError) -> DecodedImage {
        throw .unsupported(format: .dicom, what: "stub")
    }
}
