/// Errors from building or writing DICOM. Each case names the element by its path from the top-level
/// data set (e.g. `(0040,A730)[2].(0040,A160)`), so a bad value deep in a sequence can be found.
public enum DICOMWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A value breaks the rules of its VR (characters, format, range, value multiplicity).
    case invalidValue(tag: Tag, path: String, vr: VR, reason: String)
    /// A value longer than its VR allows (characters per value, or bytes for a 16-bit length field).
    case valueTooLong(tag: Tag, path: String, vr: VR, length: Int, maximum: Int)
    /// The element's value kind does not fit its VR (items under a VR other than SQ, bytes under SQ).
    case vrMismatch(tag: Tag, path: String, vr: VR, reason: String)
    /// An attribute the file meta information is built from is absent or empty.
    case missingAttribute(Tag, keyword: String)
    /// A UID root that cannot prefix UIDs.
    case invalidUIDRoot(String, reason: String)

    public var description: String {
        switch self {
        case let .invalidValue(_, path, vr, reason):
            return "invalid \(vr) value in \(path): \(reason)"
        case let .valueTooLong(_, path, vr, length, maximum):
            return "\(vr) value in \(path) is \(length) long; at most \(maximum) allowed"
        case let .vrMismatch(_, path, vr, reason):
            return "\(path) with VR \(vr): \(reason)"
        case let .missingAttribute(tag, keyword):
            return "missing attribute \(keyword) \(tag)"
        case let .invalidUIDRoot(root, reason):
            return "invalid UID root '\(root)': \(reason)"
        }
    }
}
