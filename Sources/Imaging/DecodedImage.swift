public import DICOM
public import Foundation

/// The formats `Imaging.decode` recognises by their first bytes.
public enum ImageFormat: String, Sendable, Codable {
    case png, jpeg, dicom
}

/// Stored sample values of all frames, contiguous: `[frames, rows, columns, samplesPerPixel]`,
/// colour samples interleaved (RGB).
public enum PixelBuffer: Sendable, Equatable {
    case uint8([UInt8])
    case uint16([UInt16])
    case int16([Int16])
    case int32([Int32])
    case uint32([UInt32])

    public var count: Int {
        switch self {
        case .uint8(let a): return a.count
        case .uint16(let a): return a.count
        case .int16(let a): return a.count
        case .int32(let a): return a.count
        case .uint32(let a): return a.count
        }
    }

    /// Values `[start, start+count)` as Double (exact for every stored type).
    public func doubles(_ range: Range<Int>) -> [Double] {
        switch self {
        case .uint8(let a): return a[range].map(Double.init)
        case .uint16(let a): return a[range].map(Double.init)
        case .int16(let a): return a[range].map(Double.init)
        case .int32(let a): return a[range].map(Double.init)
        case .uint32(let a): return a[range].map(Double.init)
        }
    }

    /// The sub-buffer `range`, same element type.
    public func slice(_ range: Range<Int>) -> PixelBuffer {
        switch self {
        case .uint8(let a): return .uint8(Array(a[range]))
        case .uint16(let a): return .uint16(Array(a[range]))
        case .int16(let a): return .int16(Array(a[range]))
        case .int32(let a): return .int32(Array(a[range]))
        case .uint32(let a): return .uint32(Array(a[range]))
        }
    }
}

/// A decoded image: geometry, stored pixels of every frame, and for DICOM the data set.
public struct DecodedImage: Sendable {
    public var format: ImageFormat
    public var rows: Int
    public var columns: Int
    /// 1 (grayscale) or 3 (RGB, after any YBR/palette conversion).
    public var samplesPerPixel: Int
    public var numberOfFrames: Int
    /// Significant bits of a stored sample (PNG/JPEG: the sample depth, 8 or 16;
    /// palette DICOM: the palette entry depth).
    public var bitsStored: Int
    /// True when stored values are signed (DICOM Pixel Representation 1).
    public var isSigned: Bool
    /// `[frames, rows, columns, samplesPerPixel]`.
    public var pixels: PixelBuffer
    /// The photometric interpretation as read (DICOM), or MONOCHROME2 / RGB for PNG and JPEG.
    public var photometricInterpretation: String
    /// The DICOM file this came from (nil for PNG/JPEG).
    public var dicom: DICOMFile?
    /// Facts about the source for `inspect` (PNG colour type, interlace, JPEG orientation, ...).
    public var sourceFacts: [(String, String)]

    public init(format: ImageFormat, rows: Int, columns: Int, samplesPerPixel: Int, numberOfFrames: Int,
                bitsStored: Int, isSigned: Bool, pixels: PixelBuffer, photometricInterpretation: String,
                dicom: DICOMFile? = nil, sourceFacts: [(String, String)] = []) {
        self.format = format
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = samplesPerPixel
        self.numberOfFrames = numberOfFrames
        self.bitsStored = bitsStored
        self.isSigned = isSigned
        self.pixels = pixels
        self.photometricInterpretation = photometricInterpretation
        self.dicom = dicom
        self.sourceFacts = sourceFacts
    }

    /// Samples in one frame.
    public var frameSampleCount: Int { rows * columns * samplesPerPixel }

    /// The stored values of frame `index`.
    public func storedFrame(_ index: Int) throws(ImagingError) -> PixelBuffer {
        guard index >= 0, index < numberOfFrames else {
            throw .frameOutOfRange(index: index, count: numberOfFrames)
        }
        let n = frameSampleCount
        return pixels.slice(index * n ..< (index + 1) * n)
    }
}
