public import DICOM

/// Why a DICOM Structured Report could not be made from reports.
public enum SRError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No report was given.
    case noReports
    /// One document describes one algorithm: the reports name different models or weights.
    case mixedModels(String, String)
    /// One document belongs to one study: the DICOM sources name different studies.
    case mixedStudies(String, String)
    /// The report's weights hash is not 64 hexadecimal digits, so no device UID can be derived.
    case invalidModelSHA256(String)
    /// A number the report holds cannot be written (NaN or infinite).
    case notANumber(String, Double)
    /// A value (ours or copied from the source DICOM) breaks its VR's rules; the error names its path.
    case encoding(DICOMWriteError)

    public var description: String {
        switch self {
        case .noReports: return "no reports to write"
        case let .mixedModels(a, b): return "reports of different models cannot share one SR: \(a) and \(b)"
        case let .mixedStudies(a, b): return "images of different studies cannot share one SR: \(a) and \(b)"
        case let .invalidModelSHA256(s): return "model sha256 '\(s)' is not 64 hexadecimal digits"
        case let .notANumber(what, v): return "\(what) \(v) cannot be written as a DICOM number"
        case let .encoding(e): return "cannot encode the SR: \(e)"
        }
    }
}
