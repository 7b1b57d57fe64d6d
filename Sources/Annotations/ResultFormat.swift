/// The documents a result is written as: the one registry that HTTP `GET /v1/jobs/{id}/result?format=`,
/// `medinfer jobs result --format` and `medinfer analyze --format` read (the CLI adds its `table` view).
/// A new document (a DICOM SEG, say) is a new case here: every consumer's `switch` must then name it.
public enum ResultFormat: String, CaseIterable, Sendable {
    /// The reports, one `Report` per image (`application/json`; `<base>.report.json` on disk).
    case json
    /// The job's DICOM Comprehensive SR (`application/dicom`; `<base>.sr.dcm` on disk).
    case sr

    /// The media type it is served as.
    public var mediaType: String {
        switch self {
        case .json: "application/json"
        case .sr: "application/dicom"
        }
    }

    /// The suffix of the file it is written to, after the analysed file's name.
    public var fileExtension: String {
        switch self {
        case .json: ".report.json"
        case .sr: ".sr.dcm"
        }
    }

    /// "json or sr": the choices, for messages.
    public static var choices: String {
        let names = allCases.map(\.rawValue)
        return names.dropLast().joined(separator: ", ") + (names.count > 1 ? " or " : "") + (names.last ?? "")
    }
}
