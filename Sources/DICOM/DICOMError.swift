/// Errors from reading DICOM bytes. Each case says what went wrong and where
/// (byte offset into the parsed buffer, and the tag when one is known).
public enum DICOMError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Fewer bytes remain than a header or declared length needs.
    case truncated(offset: Int, tag: Tag?, needed: Int, available: Int)
    /// A value length that is odd where it must be even, or otherwise impossible.
    case invalidLength(offset: Int, tag: Tag, length: UInt32)
    /// Two letters that are not a VR where an explicit VR was expected.
    case invalidVR(offset: Int, tag: Tag, bytes: String)
    /// Structure broken: e.g. an item tag where an element was expected, a missing delimiter.
    case malformed(offset: Int, tag: Tag?, reason: String)
    /// A limit of `ParseLimits` was exceeded.
    case limitExceeded(offset: Int, tag: Tag?, limit: String, value: Int, maximum: Int)
    /// A transfer syntax the decoder does not read; `name` says which.
    case unsupportedTransferSyntax(uid: String, name: String)
    /// A required attribute is missing or its value cannot be used.
    case missingAttribute(Tag, keyword: String)
    case invalidAttribute(Tag, keyword: String, reason: String)
    /// Deflate stream could not be inflated.
    case inflateFailed(reason: String)
    /// Not DICOM at all.
    case notDICOM(reason: String)

    public var description: String {
        switch self {
        case let .truncated(offset, tag, needed, available):
            return "truncated at byte \(offset)\(tag.map { " in \($0)" } ?? ""): needs \(needed) bytes, \(available) left"
        case let .invalidLength(offset, tag, length):
            return "invalid length \(length) for \(tag) at byte \(offset)"
        case let .invalidVR(offset, tag, bytes):
            return "invalid VR '\(bytes)' for \(tag) at byte \(offset)"
        case let .malformed(offset, tag, reason):
            return "malformed data set at byte \(offset)\(tag.map { " in \($0)" } ?? ""): \(reason)"
        case let .limitExceeded(offset, tag, limit, value, maximum):
            return "\(limit) \(value) exceeds the limit \(maximum) at byte \(offset)\(tag.map { " in \($0)" } ?? "")"
        case let .unsupportedTransferSyntax(uid, name):
            return "unsupported transfer syntax \(name) (\(uid))"
        case let .missingAttribute(tag, keyword):
            return "missing attribute \(keyword) \(tag)"
        case let .invalidAttribute(tag, keyword, reason):
            return "invalid \(keyword) \(tag): \(reason)"
        case let .inflateFailed(reason):
            return "deflated data set could not be inflated: \(reason)"
        case let .notDICOM(reason):
            return "not a DICOM file: \(reason)"
        }
    }
}
