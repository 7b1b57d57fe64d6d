import DICOM

/// A coded concept (PS3.3 Table 8.8-1 Code Sequence Macro): value, scheme designator and meaning.
public struct CodedConcept: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var value: String
    public var scheme: String
    public var meaning: String

    public init(_ value: String, _ scheme: String, _ meaning: String) {
        self.value = value
        self.scheme = scheme
        self.meaning = meaning
    }

    /// `(121071, DCM, "Finding")`, as PS3.16 writes codes.
    public var description: String { "(\(value), \(scheme), \"\(meaning)\")" }

    /// One item of a code sequence.
    var item: DataSet {
        var ds = DataSet()
        ds.set(SRTag.codeValue, .SH, value)
        ds.set(SRTag.codingSchemeDesignator, .SH, scheme)
        ds.set(SRTag.codeMeaning, .LO, meaning)
        return ds
    }

    /// Reads the first item of a code sequence; nil when absent or incomplete.
    init?(sequence: [DataSet]?) {
        guard let item = sequence?.first, let v = item.string(SRTag.codeValue), let s = item.string(SRTag.codingSchemeDesignator),
              let m = item.string(SRTag.codeMeaning) else { return nil }
        self.init(v, s, m)
    }
}

/// The codes of the report. DCM codes are from PS3.16 Annex D, SCT from SNOMED CT as PS3.16 uses them,
/// UCUM units from PS3.16 CID 82; `99MEDINFER` is our private scheme (see `CodedConcept.label(_:)`).
extension CodedConcept {
    /// The private coding scheme designator of MedInfer's codes: model labels and the concepts of
    /// the report the standard has no code for. Described in the document's Coding Scheme
    /// Identification Sequence.
    public static let privateScheme = "99MEDINFER"

    static let imagingMeasurementReport = CodedConcept("126000", "DCM", "Imaging Measurement Report")
    static let languageOfContent = CodedConcept("121049", "DCM", "Language of Content Item and Descendants")
    static let english = CodedConcept("en-US", "RFC5646", "English (United States)")
    static let observerType = CodedConcept("121005", "DCM", "Observer Type")
    static let device = CodedConcept("121007", "DCM", "Device")
    static let deviceObserverUID = CodedConcept("121012", "DCM", "Device Observer UID")
    static let deviceObserverName = CodedConcept("121013", "DCM", "Device Observer Name")
    static let deviceObserverManufacturer = CodedConcept("121014", "DCM", "Device Observer Manufacturer")
    static let deviceObserverModelName = CodedConcept("121015", "DCM", "Device Observer Model Name")
    static let procedureReported = CodedConcept("121058", "DCM", "Procedure reported")
    /// Baseline CID 100 allows any procedure; we cannot know more than "imaging" from one image.
    static let imagingProcedure = CodedConcept("363679005", "SCT", "Imaging procedure")
    static let imageLibrary = CodedConcept("111028", "DCM", "Image Library")
    static let imageLibraryGroup = CodedConcept("126200", "DCM", "Image Library Group")
    static let imagingMeasurements = CodedConcept("126010", "DCM", "Imaging Measurements")
    static let measurementGroup = CodedConcept("125007", "DCM", "Measurement Group")
    static let trackingIdentifier = CodedConcept("112039", "DCM", "Tracking Identifier")
    static let trackingUID = CodedConcept("112040", "DCM", "Tracking Unique Identifier")
    static let algorithmName = CodedConcept("111001", "DCM", "Algorithm Name")
    static let algorithmVersion = CodedConcept("111003", "DCM", "Algorithm Version")
    static let algorithmParameters = CodedConcept("111002", "DCM", "Algorithm Parameters")
    /// The source image of a measurement group (as highdicom's TID 1501 encoding names it).
    static let source = CodedConcept("260753009", "SCT", "Source")
    static let yes = CodedConcept("373066001", "SCT", "Yes")
    static let no = CodedConcept("373067005", "SCT", "No")
    static let comment = CodedConcept("121106", "DCM", "Comment")
    static let probability = CodedConcept("PROBABILITY", privateScheme, "Probability")
    static let decisionThreshold = CodedConcept("THRESHOLD", privateScheme, "Decision threshold")
    static let analysisWarning = CodedConcept("WARNING", privateScheme, "Analysis warning")
    /// UCUM's dimensionless unit with an annotation (`{probability}` equals 1).
    static let probabilityUnit = CodedConcept("{probability}", "UCUM", "probability")
    /// IHE AI Results (AIR) Rev 1.1, 6.5.3.1: the purpose of reference of the algorithm in the
    /// Contributing Equipment Sequence. Not a DCM code: (109103, DCM) is "Modifying Equipment".
    static let processingAlgorithm = CodedConcept("Newcode1", "99IHE", "Processing Algorithm")

    /// The code of a model label in the private scheme: the label itself when it fits a Code Value
    /// (SH: at most 16 characters, no backslash or control characters), else "L" + 15 hexadecimal
    /// digits of its FNV-1a hash, so that long labels still get a stable code. The meaning is the label.
    public static func label(_ label: String) -> CodedConcept {
        let fits = label.unicodeScalars.count <= 16 && !label.isEmpty
            && label.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0 != "\\" }
            && label.first != " " && label.last != " "
        if fits { return CodedConcept(label, privateScheme, label) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in label.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        let hex = String(hash, radix: 16, uppercase: true)
        return CodedConcept("L" + String(hex.prefix(15)), privateScheme, label)
    }
}
