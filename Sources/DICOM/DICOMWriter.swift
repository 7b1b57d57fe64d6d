public import Foundation

/// Writes data sets as DICOM Part 10 files in Explicit VR Little Endian (PS3.10 7.1, PS3.5 7.1.2).
///
/// The writer is strict where the parser is lenient: every value is checked against its VR
/// (`DICOMWriteError` names the element's path), values are padded to even length with the VR's
/// padding byte, elements are sorted by tag, and the File Meta Information is rebuilt from the data
/// set. Group length elements inside the data set are not written: they are retired outside group
/// 0002 (PS3.5 7.2) and would be stale after any edit.
public enum DICOMWriter {
    /// How sequences and their items are delimited.
    public enum SequenceLength: Sendable {
        /// Explicit byte lengths (computed while writing).
        case defined
        /// Undefined lengths closed by item and sequence delimitation items.
        case undefined
    }

    public struct Options: Sendable {
        public var sequenceLength: SequenceLength
        /// (0002,0012): identifies the software that wrote the file.
        public var implementationClassUID: String
        /// (0002,0013): at most 16 characters.
        public var implementationVersionName: String
        /// (0002,0016), written when set.
        public var sourceApplicationEntityTitle: String?

        public init(sequenceLength: SequenceLength = .undefined,
                    implementationClassUID: String = DICOMWriter.implementationClassUID,
                    implementationVersionName: String = DICOMWriter.implementationVersionName,
                    sourceApplicationEntityTitle: String? = nil) {
            self.sequenceLength = sequenceLength
            self.implementationClassUID = implementationClassUID
            self.implementationVersionName = implementationVersionName
            self.sourceApplicationEntityTitle = sourceApplicationEntityTitle
        }
    }

    /// MedInfer's Implementation Class UID: `2.25.` + the integer of a UUID made once for this purpose
    /// (a fixed value, so files name the writer and not the run).
    public static let implementationClassUID = "2.25.143659417645831715929993155895319857506"
    public static let implementationVersionName = "MEDINFER_0_1"

    /// A Part 10 file: 128-byte preamble, "DICM", the File Meta Information built from the data set's
    /// SOP Class and Instance UIDs (0008,0016)/(0008,0018), then the data set. Group 0002 elements of
    /// `dataSet` are ignored (the file meta is always derived, never copied).
    public static func part10(_ dataSet: DataSet, options: Options = Options()) throws(DICOMWriteError) -> Data {
        let meta = try fileMetaInformation(for: dataSet, options: options)
        var out = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        var encoder = ExplicitLittleEndianEncoder(sequenceLength: options.sequenceLength)
        try encoder.write(meta, path: "", includeGroup2: true)
        out += encoder.bytes
        encoder.bytes = []
        try encoder.write(dataSet, path: "", includeGroup2: false)
        out += encoder.bytes
        return Data(out)
    }

    /// The data set alone in Explicit VR Little Endian (no preamble, no file meta), e.g. for a network
    /// transfer or a nested encoding.
    public static func encode(_ dataSet: DataSet, sequenceLength: SequenceLength = .undefined) throws(DICOMWriteError) -> Data {
        var encoder = ExplicitLittleEndianEncoder(sequenceLength: sequenceLength)
        try encoder.write(dataSet, path: "", includeGroup2: false)
        return Data(encoder.bytes)
    }

    /// Group 0002 for `dataSet` (PS3.10 7.1), group length included.
    public static func fileMetaInformation(for dataSet: DataSet, options: Options = Options()) throws(DICOMWriteError) -> DataSet {
        func required(_ tag: Tag, _ keyword: String) throws(DICOMWriteError) -> String {
            guard let v = dataSet.string(tag), !v.isEmpty else { throw .missingAttribute(tag, keyword: keyword) }
            return v
        }
        var meta = DataSet()
        meta.set(.fileMetaInformationVersion, .OB, bytes: Data([0x00, 0x01]))
        meta.set(.mediaStorageSOPClassUID, .UI, try required(.sopClassUID, "SOPClassUID"))
        meta.set(.mediaStorageSOPInstanceUID, .UI, try required(.sopInstanceUID, "SOPInstanceUID"))
        meta.set(.transferSyntaxUID, .UI, TransferSyntax.explicitVRLittleEndian.uid)
        meta.set(.implementationClassUID, .UI, options.implementationClassUID)
        meta.set(.implementationVersionName, .SH, options.implementationVersionName)
        if let ae = options.sourceApplicationEntityTitle { meta.set(.sourceApplicationEntityTitle, .AE, ae) }
        var encoder = ExplicitLittleEndianEncoder(sequenceLength: options.sequenceLength)
        try encoder.write(meta, path: "", includeGroup2: true)
        meta.set(.fileMetaInformationGroupLength, .UL, uint32: UInt32(encoder.bytes.count))
        return meta
    }
}

extension Tag {
    public static let fileMetaInformationVersion = Tag(0x0002, 0x0001)
    public static let implementationClassUID = Tag(0x0002, 0x0012)
    public static let implementationVersionName = Tag(0x0002, 0x0013)
    public static let sourceApplicationEntityTitle = Tag(0x0002, 0x0016)
}
