public import DICOM

/// Errors from decoding images. Each case names the place (byte offset, tag or frame) and the problem.
public enum ImagingError: Error, Sendable, CustomStringConvertible {
    /// The first bytes match no supported format.
    case unknownFormat(firstBytes: String)
    /// The codec library refused the bytes (corrupt, truncated); `message` is the library's.
    case corrupt(format: ImageFormat, message: String)
    /// Valid, but not something we decode (CMYK JPEG, 12-bit JPEG, a transfer syntax, ...).
    case unsupported(format: ImageFormat, what: String)
    /// A data-set level problem in a DICOM file.
    case dicom(DICOMError)
    /// Pixel module attributes that are missing or inconsistent.
    case invalidPixelModule(tag: Tag?, reason: String)
    /// Pixel data shorter than rows × columns × samples × frames needs.
    case pixelDataTooShort(needed: Int, available: Int)
    /// A limit of `DecodeLimits` was exceeded.
    case limitExceeded(what: String, value: Int, maximum: Int)
    case frameOutOfRange(index: Int, count: Int)
    /// A compressed frame could not be decoded; `frame` is 0-based.
    case frameDecodeFailed(frame: Int, reason: String)
    case windowOutOfRange(index: Int, count: Int)
    /// Arguments an encoder or overlay helper cannot accept (size out of range, wrong buffer length, ...).
    case invalidArgument(what: String, reason: String)
    /// The codec library failed while encoding; `message` is the library's.
    case encodeFailed(format: ImageFormat, message: String)

    public var description: String {
        switch self {
        case .unknownFormat(let b): return "unknown image format (first bytes \(b)); expected PNG, JPEG or DICOM"
        case .corrupt(let f, let m): return "corrupt \(f.rawValue.uppercased()): \(m)"
        case .unsupported(let f, let w): return "unsupported \(f.rawValue.uppercased()): \(w)"
        case .dicom(let e): return e.description
        case .invalidPixelModule(let tag, let r): return "invalid pixel module\(tag.map { " at \($0)" } ?? ""): \(r)"
        case .pixelDataTooShort(let n, let a): return "pixel data too short: needs \(n) bytes, has \(a)"
        case .limitExceeded(let w, let v, let m): return "\(w) \(v) exceeds the limit \(m)"
        case .frameOutOfRange(let i, let c): return "frame \(i) out of range (the image has \(c) frame\(c == 1 ? "" : "s"))"
        case .frameDecodeFailed(let f, let r): return "frame \(f) could not be decoded: \(r)"
        case .windowOutOfRange(let i, let c): return "window \(i) out of range (the image has \(c))"
        case .invalidArgument(let w, let r): return "invalid \(w): \(r)"
        case .encodeFailed(let f, let m): return "\(f.rawValue.uppercased()) encoding failed: \(m)"
        }
    }
}

/// Bounds for untrusted images. Exceeding one is a typed error, never a trap or a huge allocation.
public struct DecodeLimits: Sendable {
    /// Largest rows or columns.
    public var maxDimension: Int = 65_536
    /// Largest rows × columns × frames.
    public var maxTotalPixels: Int = 1 << 30
    public var maxFrames: Int = 4096
    /// Limits for the DICOM data-set parser.
    public var parse: ParseLimits = .default

    public init() {}
    public static let `default` = DecodeLimits()

    func check(rows: Int, columns: Int, frames: Int) throws(ImagingError) {
        if rows > maxDimension { throw .limitExceeded(what: "rows", value: rows, maximum: maxDimension) }
        if columns > maxDimension { throw .limitExceeded(what: "columns", value: columns, maximum: maxDimension) }
        if frames > maxFrames { throw .limitExceeded(what: "number of frames", value: frames, maximum: maxFrames) }
        let total = rows.multipliedReportingOverflow(by: columns)
        let all = total.partialValue.multipliedReportingOverflow(by: frames)
        if total.overflow || all.overflow || all.partialValue > maxTotalPixels {
            throw .limitExceeded(what: "total pixels", value: all.overflow ? Int.max : all.partialValue, maximum: maxTotalPixels)
        }
    }
}
