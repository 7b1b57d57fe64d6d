import Core
public import DICOM
import Foundation

/// The modules around the content: Patient, General Study, SR Document Series, General Equipment,
/// the Contributing Equipment Sequence and the evidence references.
extension StructuredReportWriter {
    /// Patient and General Study attributes (PS3.3 C.7.1.1, C.7.2.1): copied from the first DICOM
    /// source when present (decoded with its character set; we write UTF-8), else new ones with empty
    /// type 2 attributes. Throws when DICOM sources name different studies.
    func patientAndStudy(_ inputs: [Input]) throws(SRError) -> DataSet {
        let sources = inputs.compactMap(\.source)
        let study = sources.first?.string(.studyInstanceUID).flatMap { $0.isEmpty ? nil : $0 }
        for s in sources {
            let other = s.string(.studyInstanceUID) ?? ""
            if let study, other != study { throw .mixedStudies(study, other) }
        }
        var ds = DataSet()
        let source = sources.first
        for (tag, vr) in Self.copiedAttributes {
            // Type 2: present, empty when unknown. Multi-valued copies keep all values.
            ds.set(tag, vr, source?.strings(tag) ?? [])
        }
        ds.set(.studyInstanceUID, .UI, study ?? uids.make())
        return ds
    }

    /// The Patient and General Study attributes copied from the source, with the VR they are written in.
    static let copiedAttributes: [(Tag, VR)] = [
        (.patientName, .PN), (.patientID, .LO), (SRTag.patientBirthDate, .DA), (SRTag.patientSex, .CS),
        (SRTag.studyDate, .DA), (SRTag.studyTime, .TM), (SRTag.referringPhysicianName, .PN), (SRTag.studyID, .SH),
        (SRTag.accessionNumber, .SH),
    ]

    /// The part of a source data set the SR uses: the copied patient and study attributes, the study,
    /// series and SOP identity, and the character set. What a caller (e.g. a job store) needs to keep
    /// to write the SR later without holding the pixel data; `DICOMWriter.encode` and
    /// `DICOMParser.parse` store and restore it.
    public static func sourceAttributes(of source: DataSet) -> DataSet {
        var out = DataSet()
        out.characterSet = source.characterSet
        let identity: [Tag] = [.specificCharacterSet, .studyInstanceUID, .seriesInstanceUID, .sopClassUID, .sopInstanceUID]
        for tag in copiedAttributes.map(\.0) + identity {
            if let e = source[tag] { out[tag] = e }
        }
        return out
    }

    /// SR Document Series (C.17.1) and General Equipment (C.7.5.1).
    func seriesAndEquipment(into ds: inout DataSet, model: ModelRef, engine: String, created: Timestamp) {
        ds.set(.modality, .CS, "SR")
        ds.set(.seriesInstanceUID, .UI, uids.make())
        ds.set(SRTag.seriesNumber, .IS, "1")
        ds.set(SRTag.seriesDate, .DA, created.date)
        ds.set(SRTag.seriesTime, .TM, created.time)
        ds.set(SRTag.seriesDescription, .LO, "AI results: \(model.name) \(model.version) (decision aid)")
        ds.set(SRTag.referencedPerformedProcedureStepSequence, items: [])
        ds.set(SRTag.manufacturer, .LO, Self.manufacturer)
        ds.set(SRTag.manufacturerModelName, .LO, "medinfer")
        ds.set(SRTag.softwareVersions, .LO, engine)
    }

    /// The IHE AIR item of the Contributing Equipment Sequence (0018,A001): purpose "Processing
    /// Algorithm", the model as model name and software version, the device UID of its weights.
    func contributingEquipment(model: ModelRef, device: String, created: Timestamp) -> DataSet {
        var item = DataSet()
        item.set(SRTag.purposeOfReferenceCodeSequence, items: [CodedConcept.processingAlgorithm.item])
        item.set(SRTag.manufacturer, .LO, Self.manufacturer)
        item.set(SRTag.manufacturerModelName, .LO, model.name)
        item.set(SRTag.softwareVersions, .LO, String(model.version))
        item.set(SRTag.deviceUID, .UI, device)
        item.set(SRTag.contributionDateTime, .DT, created.dateTime)
        item.set(SRTag.contributionDescription, .ST, "AI inference with weights SHA-256 \(model.sha256); \(Report.disclaimer)")
        return item
    }

    /// The private coding schemes used (PS3.3 C.12.1.1.5), so a reader can look them up.
    static var codingSchemes: [DataSet] {
        [(CodedConcept.privateScheme, "MedInfer model labels and report concepts", "MedInfer"),
         ("99IHE", "IHE AI Results profile codes", "IHE")].map { designator, name, organization in
            var item = DataSet()
            item.set(SRTag.codingSchemeDesignator, .SH, designator)
            item.set(SRTag.codingSchemeName, .ST, name)
            item.set(SRTag.codingSchemeResponsibleOrganization, .ST, organization)
            return item
        }
    }

    /// The referenced source instance of a DICOM input: nil unless all four UIDs are present (a bare
    /// data set without them can be analysed, but not referenced).
    struct SourceInstance: Hashable {
        var study: String, series: String, sopClass: String, sopInstance: String
    }

    static func sourceInstance(_ source: DataSet?) -> SourceInstance? {
        guard let s = source else { return nil }
        let uids = [Tag.studyInstanceUID, .seriesInstanceUID, .sopClassUID, .sopInstanceUID].map { s.string($0) ?? "" }
        guard !uids.contains(where: \.isEmpty) else { return nil }
        return SourceInstance(study: uids[0], series: uids[1], sopClass: uids[2], sopInstance: uids[3])
    }

    /// Current Requested Procedure Evidence Sequence (0040,A375): the source instances by study and
    /// series (PS3.3 C.17.2.2, Hierarchical SOP Instance Reference Macro). Empty for non-DICOM input.
    static func evidence(_ inputs: [Input]) -> [DataSet] {
        var studies: [String: [String: [SourceInstance]]] = [:]
        var order: [String] = []
        for case let instance? in inputs.map({ sourceInstance($0.source) }) {
            if studies[instance.study] == nil { order.append(instance.study) }
            if studies[instance.study, default: [:]][instance.series, default: []].contains(instance) { continue }
            studies[instance.study, default: [:]][instance.series, default: []].append(instance)
        }
        return order.map { study in
            var item = DataSet()
            item.set(.studyInstanceUID, .UI, study)
            let series = studies[study, default: [:]].sorted { $0.key < $1.key }
            item.set(SRTag.referencedSeriesSequence, items: series.map { uid, instances in
                var s = DataSet()
                s.set(.seriesInstanceUID, .UI, uid)
                s.set(SRTag.referencedSOPSequence, items: instances.map { i in
                    var ref = DataSet()
                    ref.set(SRTag.referencedSOPClassUID, .UI, i.sopClass)
                    ref.set(SRTag.referencedSOPInstanceUID, .UI, i.sopInstance)
                    return ref
                })
                return s
            })
            return item
        }
    }
}
