public import Foundation

/// A decoder for one image format.
public protocol ImageDecoder: Sendable {
    var format: ImageFormat { get }
    /// True when the first bytes are this format's signature.
    func matches(_ header: Data) -> Bool
    func decode(_ data: Data, limits: DecodeLimits) throws(ImagingError) -> DecodedImage
}

/// Format sniffing and dispatch.
public enum Imaging {
    /// Decoders tried in order; DICOM last because a bare data set has no signature.
    public static let decoders: [any ImageDecoder] = [PNGDecoder(), JPEGDecoder(), DICOMImageDecoder()]

    /// Decodes PNG, JPEG or DICOM bytes.
    public static func decode(_ data: Data, limits: DecodeLimits = .default) throws(ImagingError) -> DecodedImage {
        for d in decoders where d.matches(data) {
            return try d.decode(data, limits: limits)
        }
        let hex = data.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
        throw .unknownFormat(firstBytes: hex)
    }
}
