import Core
public import DICOM
public import Foundation

/// Writes reports as a DICOM Comprehensive 3D SR (1.2.840.10008.5.1.4.1.1.88.34) following TID 1500
/// "Imaging Measurement Report", with the IHE AI Results (AIR) conventions: the algorithm is named in
/// the observer context, in each measurement group (TID 4019) and in the Contributing Equipment
/// Sequence, with a Device UID derived from the weights' SHA-256 so a result traces to its weights.
///
/// One document holds one measurement group per input image; all inputs must come from one model
/// version and (for DICOM sources) one study. Patient and study attributes are copied from the
/// source DICOM; PNG and JPEG inputs get a new study with empty type 2 attributes. The document is
/// UNVERIFIED: a result is a decision aid, never a diagnosis, and the document says so in a TEXT item.
///
/// Used by `medinfer analyze --format sr`; meant for `jobs result --format sr` and
/// `GET /v1/jobs/{id}/result?format=sr` as well.
public struct StructuredReportWriter: Sendable {
    /// One analysed image: its report and, for DICOM input, the source data set.
    public struct Input: Sendable {
        public var report: Report
        public var source: DataSet?

        public init(report: Report, source: DataSet? = nil) {
            self.report = report
            self.source = source
        }
    }

    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.88.34"
    public static let mediaType = ResultFormat.sr.mediaType
    /// Manufacturer (0008,0070) of the equipment that made the document.
    public static let manufacturer = "MedInfer"

    /// Makes the document's new UIDs (SOP instance, series, tracking, and study for non-DICOM input)
    /// and the device UID.
    public var uids: UIDGenerator
    public var sequenceLength: DICOMWriter.SequenceLength

    public init(uids: UIDGenerator = UIDGenerator(), sequenceLength: DICOMWriter.SequenceLength = .undefined) {
        self.uids = uids
        self.sequenceLength = sequenceLength
    }

    /// The document as a Part 10 file (Explicit VR Little Endian).
    public func write(_ inputs: [Input]) throws(SRError) -> Data {
        let ds = try dataSet(for: inputs)
        do { return try DICOMWriter.part10(ds, options: DICOMWriter.Options(sequenceLength: sequenceLength)) } catch {
            throw .encoding(error)
        }
    }

    /// The document's data set (without file meta).
    public func dataSet(for inputs: [Input]) throws(SRError) -> DataSet {
        guard let first = inputs.first else { throw .noReports }
        let model = first.report.model
        for input in inputs.dropFirst() where input.report.model != model {
            throw .mixedModels(Self.modelName(model), Self.modelName(input.report.model))
        }
        let device = try deviceUID(sha256: model.sha256)
        let created = Self.timestamp(first.report.createdAt)

        var ds = try patientAndStudy(inputs)
        ds.set(.sopClassUID, .UI, Self.sopClassUID)
        ds.set(.sopInstanceUID, .UI, uids.make())
        ds.set(SRTag.instanceCreationDate, .DA, created.date)
        ds.set(SRTag.instanceCreationTime, .TM, created.time)
        ds.set(SRTag.timezoneOffsetFromUTC, .SH, "+0000")
        seriesAndEquipment(into: &ds, model: model, engine: first.report.engine.version, created: created)
        ds.set(SRTag.contributingEquipmentSequence, items: [contributingEquipment(model: model, device: device, created: created)])
        ds.set(SRTag.codingSchemeIdentificationSequence, items: Self.codingSchemes)

        // SR Document General: not signed off by anyone, complete as far as the algorithm goes.
        ds.set(SRTag.instanceNumber, .IS, "1")
        ds.set(SRTag.completionFlag, .CS, "COMPLETE")
        ds.set(SRTag.verificationFlag, .CS, "UNVERIFIED")
        ds.set(SRTag.contentDate, .DA, created.date)
        ds.set(SRTag.contentTime, .TM, created.time)
        ds.set(SRTag.performedProcedureCodeSequence, items: [])
        let evidence = Self.evidence(inputs)
        if !evidence.isEmpty { ds.set(SRTag.currentRequestedProcedureEvidenceSequence, items: evidence) }

        // SR Document Content: the root item's attributes sit at the top level of the data set.
        let root = try content(inputs, model: model, device: device)
        for element in try root.attributes().sortedElements { ds[element.tag] = element }
        var template = DataSet()
        template.set(SRTag.mappingResource, .CS, "DCMR")
        template.set(SRTag.mappingResourceUID, .UI, "1.2.840.10008.8.1.1")
        template.set(SRTag.templateIdentifier, .CS, "1500")
        ds.set(SRTag.contentTemplateSequence, items: [template])
        // Everything is written as UTF-8 (copied values were decoded with the source's character set).
        // Declared only when needed: plain ASCII is the default repertoire, which every reader checks.
        if Self.hasNonASCIIText(ds) { ds.set(.specificCharacterSet, .CS, "ISO_IR 192") }
        return ds
    }

    static func hasNonASCIIText(_ ds: DataSet) -> Bool {
        ds.elements.values.contains { e in
            switch e.value {
            case .bytes(let b): return e.vr.isText && b.contains { $0 >= 0x80 }
            case .sequence(let items): return items.contains(where: hasNonASCIIText)
            case .encapsulated: return false
            }
        }
    }

    /// The Device UID of a model's weights: a UID derived from the SHA-256, the same for every run.
    public func deviceUID(sha256: String) throws(SRError) -> String {
        let hex = Array(sha256.utf8)
        guard hex.count == 64, let bytes = Self.bytes(hexadecimal: hex), let uid = uids.make(digest: bytes) else {
            throw .invalidModelSHA256(sha256)
        }
        return uid
    }

    static func modelName(_ m: ModelRef) -> String { "\(m.name):\(m.version) (sha256 \(m.sha256))" }

    private static func bytes(hexadecimal hex: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        for i in stride(from: 0, to: hex.count, by: 2) {
            guard let hi = Character(Unicode.Scalar(hex[i])).hexDigitValue,
                  let lo = Character(Unicode.Scalar(hex[i + 1])).hexDigitValue else { return nil }
            out.append(UInt8(hi << 4 | lo))
        }
        return out
    }

    /// DICOM DA, TM and DT (UTC) of the report's `createdAt` (ISO 8601), or of now if it cannot be read.
    struct Timestamp {
        var date: String
        var time: String
        var dateTime: String { date + time + "+0000" }
    }

    static func timestamp(_ iso: String) -> Timestamp {
        let parser = ISO8601DateFormatter()
        var when = parser.date(from: iso)
        if when == nil {
            parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            when = parser.date(from: iso)
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd HHmmss"
        let parts = formatter.string(from: when ?? Date()).split(separator: " ")
        return Timestamp(date: String(parts[0]), time: String(parts[1]))
    }
}
