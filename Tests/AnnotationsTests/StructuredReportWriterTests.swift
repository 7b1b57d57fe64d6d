import Core
@testable import Annotations
import DICOM
import Foundation
import TestSupport
import Testing

/// The DICOM SR writer: documents for a DICOM and a PNG source pass dciodvfy (no errors) and dsrdump,
/// and the round trip through our parser keeps every value of the reports.
///
/// Warnings: any error fails; a warning fails unless it was reviewed and listed, with the reason, in
/// `DICOMValidators.reviewedSRWarnings` (e.g. our private coding scheme is not a defined term).
@Suite(.onComputeThreads) struct StructuredReportWriterTests {
    static let sha = "3be917fb4375d2d57d65f43eb28ab669387c00306bbe407c5aaf78fb5de3ab49"

    static func report(format: String, path: String, sop: String? = nil, modality: String? = nil,
                       image: Int = 0, warnings: [String] = []) -> Report {
        Report(job: nil, image: image, model: ModelRef(name: "brain-mri-tumor", version: 1, sha256: sha),
               source: Report.Source(format: format, sopInstanceUID: sop, modality: modality, rows: 64, columns: 64, path: path),
               preprocessing: Report.Preprocessing(window: [600, 1600], resize: "bicubic 240x240", normalize: "x/255"),
               findings: [
                   Report.Finding(label: "meningioma", probability: 0.9312345678901234, threshold: 0.5, positive: true),
                   Report.Finding(label: "notumor", probability: 0.05, threshold: 0.5, positive: false),
                   Report.Finding(label: "glioma", probability: 1.25e-7, threshold: 0.35, positive: false),
                   Report.Finding(label: "an unusually long label, longer than sixteen", probability: 0.0187654321,
                                  threshold: 0.5, positive: false),
               ],
               overlays: [], warnings: warnings,
               engine: Report.EngineInfo(version: "medinfer-engine 0.1.0", batchSize: 1, durationMs: 12.5),
               createdAt: "2026-11-25T10:19:04Z")
    }

    static func source(_ name: String) throws -> DataSet {
        try DICOMParser.parse(Data(contentsOf: Fixtures.packageRoot.appendingPathComponent("SampleImages/\(name)"))).dataSet
    }

    /// Writes `data` to a temporary file, runs both validators, fails with their output on complaints.
    static func validate(_ data: Data, _ name: String) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-\(UUID().uuidString)-\(name).sr.dcm")
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        try expectValid(url)
    }

    static func expectValid(_ url: URL) throws {
        let iod = try DICOMValidators.dciodvfy(url)
        #expect(iod.errors.isEmpty, "dciodvfy \(url.lastPathComponent):\n\(iod.output)")
        #expect(iod.unexpectedWarnings.isEmpty, "dciodvfy warnings \(url.lastPathComponent):\n\(iod.output)")
        let dump = try DICOMValidators.dsrdump(url)
        #expect(dump.status == 0 && dump.errors.isEmpty && dump.unexpectedWarnings.isEmpty,
                "dsrdump \(url.lastPathComponent):\n\(dump.output)")
        #expect(dump.output.contains("Comprehensive 3D SR"), "\(dump.output)")
    }

    @Test func dicomSourcePassesValidatorsAndRoundTrips() throws {
        let source = try Self.source("MR_small.dcm")
        let report = Self.report(format: "dicom", path: "/scans/MR_small.dcm", sop: source.string(.sopInstanceUID),
                                 modality: "MR", warnings: ["body part HEAD is not among the model's accepted body parts [BRAIN]"])
        let writer = StructuredReportWriter()
        let data = try writer.write([StructuredReportWriter.Input(report: report, source: source)])
        try Self.validate(data, "mr")

        let sr = try DICOMParser.parse(data)
        #expect(sr.problems.isEmpty)
        #expect(sr.fileMetaInformation.string(.mediaStorageSOPClassUID) == StructuredReportWriter.sopClassUID)
        let ds = sr.dataSet
        #expect(sr.fileMetaInformation.string(.mediaStorageSOPInstanceUID) == ds.string(.sopInstanceUID))
        // Patient and study copied from the source.
        for tag in [Tag.patientName, .patientID, SRTag.patientBirthDate, SRTag.patientSex, .studyInstanceUID, SRTag.studyDate, SRTag.studyTime,
                    SRTag.referringPhysicianName, SRTag.studyID, SRTag.accessionNumber] {
            #expect(ds.contains(tag), "\(tag) missing")
            #expect(ds.string(tag) ?? "" == source.string(tag) ?? "", "\(tag)")
        }
        #expect(ds.string(.modality) == "SR" && ds.string(SRTag.verificationFlag) == "UNVERIFIED")
        #expect(ds.string(SRTag.completionFlag) == "COMPLETE")
        #expect(ds.string(SRTag.contentDate) == "20261125" && ds.string(SRTag.contentTime) == "101904")
        #expect(ds.string(.seriesInstanceUID) != source.string(.seriesInstanceUID))

        // Evidence: the source instance by study and series.
        let evidence = try #require(ds.sequence(SRTag.currentRequestedProcedureEvidenceSequence)?.first)
        #expect(evidence.string(.studyInstanceUID) == source.string(.studyInstanceUID))
        let series = try #require(evidence.sequence(SRTag.referencedSeriesSequence)?.first)
        #expect(series.string(.seriesInstanceUID) == source.string(.seriesInstanceUID))
        let ref = try #require(series.sequence(SRTag.referencedSOPSequence)?.first)
        #expect(ref.string(SRTag.referencedSOPClassUID) == source.string(.sopClassUID))
        #expect(ref.string(SRTag.referencedSOPInstanceUID) == source.string(.sopInstanceUID))

        // IHE AIR contributing equipment with the device UID of the weights.
        let device = try writer.deviceUID(sha256: Self.sha)
        #expect(device == (try StructuredReportWriter().deviceUID(sha256: Self.sha)), "deterministic")
        let equipment = try #require(ds.sequence(SRTag.contributingEquipmentSequence)?.first)
        #expect(CodedConcept(sequence: equipment.sequence(SRTag.purposeOfReferenceCodeSequence)) == .processingAlgorithm)
        #expect(equipment.string(SRTag.manufacturerModelName) == "brain-mri-tumor")
        #expect(equipment.strings(SRTag.softwareVersions) == ["1"])
        #expect(equipment.string(SRTag.deviceUID) == device)
        #expect(equipment.string(SRTag.contributionDescription)?.contains(Self.sha) == true)

        try Self.expectContent(ds, reports: [report], device: device, images: [(source.string(.sopClassUID), source.string(.sopInstanceUID))])

        // The source's SR attributes alone (what a job store keeps) make the same document, and survive
        // being stored as bytes.
        let kept = try DICOMParser.parse(DICOMWriter.encode(StructuredReportWriter.sourceAttributes(of: source))).dataSet
        #expect(kept[.pixelData] == nil)
        let again = try writer.dataSet(for: [StructuredReportWriter.Input(report: report, source: kept)])
        for tag in StructuredReportWriter.copiedAttributes.map(\.0) + [.studyInstanceUID, SRTag.currentRequestedProcedureEvidenceSequence] {
            #expect(try DICOMWriter.encode(DataSet(elements: again[tag].map { [$0] } ?? []))
                    == DICOMWriter.encode(DataSet(elements: ds[tag].map { [$0] } ?? [])), "\(tag)")
        }
    }

    @Test func pngSourceGetsANewStudy() throws {
        let report = Self.report(format: "png", path: "BrainT1Slice.png",
                                 warnings: ["modality unknown (PNG has no DICOM Modality); the model accepts [MR]"])
        let writer = StructuredReportWriter(sequenceLength: .defined)
        let data = try writer.write([StructuredReportWriter.Input(report: report)])
        try Self.validate(data, "png")
        let ds = try DICOMParser.parse(data).dataSet
        let study = try #require(ds.string(.studyInstanceUID))
        #expect(study.hasPrefix("2.25.") && study != ds.string(.seriesInstanceUID))
        for tag in [Tag.patientName, .patientID, SRTag.patientBirthDate, SRTag.patientSex, SRTag.studyDate, SRTag.studyTime,
                    SRTag.referringPhysicianName, SRTag.studyID, SRTag.accessionNumber] {
            #expect(ds[tag]?.bytes?.isEmpty == true, "\(tag) present and empty (type 2)")
        }
        #expect(ds[SRTag.currentRequestedProcedureEvidenceSequence] == nil)
        try Self.expectContent(ds, reports: [report], device: try writer.deviceUID(sha256: Self.sha), images: [nil])
    }

    @Test func severalImagesOfOneStudyMakeOneGroupEach() throws {
        let source = try Self.source("MR_small.dcm")
        let reports = [Self.report(format: "dicom", path: "a.dcm", image: 0), Self.report(format: "png", path: "b.png", image: 1)]
        let data = try StructuredReportWriter().write([StructuredReportWriter.Input(report: reports[0], source: source),
                                                       StructuredReportWriter.Input(report: reports[1])])
        try Self.validate(data, "two")
        let ds = try DICOMParser.parse(data).dataSet
        try Self.expectContent(ds, reports: reports, device: try StructuredReportWriter().deviceUID(sha256: Self.sha),
                               images: [(source.string(.sopClassUID), source.string(.sopInstanceUID)), nil])
    }

    /// The TID 1500 tree holds every value of `reports` (one measurement group each, in order).
    static func expectContent(_ ds: DataSet, reports: [Report], device: String, images: [(String?, String?)?]) throws {
        let root = SRNode(ds)
        #expect(root.valueType == "CONTAINER" && root.concept == .imagingMeasurementReport)
        let template = try #require(ds.sequence(SRTag.contentTemplateSequence)?.first)
        #expect(template.string(SRTag.templateIdentifier) == "1500" && template.string(SRTag.mappingResource) == "DCMR")
        #expect(root.first("Language of Content Item and Descendants")?.code == .english)
        #expect(root.first("Observer Type")?.code == .device)
        #expect(root.first("Device Observer UID")?.uid == device)
        #expect(root.first("Device Observer Name")?.text == "brain-mri-tumor")
        #expect(root.first("Procedure reported")?.code == .imagingProcedure)
        #expect(root.first("Comment")?.text == StructuredReportWriter.disclaimerText)
        #expect(StructuredReportWriter.disclaimerText.contains("decision aid, not a diagnosis"))
        let library = root.first("Image Library")?.first("Image Library Group")?.children ?? []
        #expect(library.compactMap { $0.referencedInstance?.sopInstance } == images.compactMap { $0?.1 })

        let groups = try #require(root.first("Imaging Measurements")).all("Measurement Group")
        #expect(groups.count == reports.count)
        var trackingUIDs = Set<String>()
        for (i, (group, report)) in zip(groups, reports).enumerated() {
            let name = (report.source.path.map { URL(fileURLWithPath: $0).lastPathComponent }).map { " (\($0))" } ?? ""
            #expect(group.first("Tracking Identifier")?.text == "image \(report.image)\(name)")
            let tracking = try #require(group.first("Tracking Unique Identifier")?.uid)
            #expect(tracking.hasPrefix("2.25.") && trackingUIDs.insert(tracking).inserted)
            let algorithm = try #require(group.first("Algorithm Name"))
            #expect(algorithm.relationship == "HAS CONCEPT MOD" && algorithm.text == report.model.name)
            #expect(algorithm.first("Algorithm Version")?.text == String(report.model.version))
            let parameters = algorithm.all("Algorithm Parameters").compactMap(\.text)
            #expect(parameters.contains("weights sha256 \(report.model.sha256)"), "\(parameters)")
            #expect(parameters.contains("normalize x/255") && parameters.contains("resize bicubic 240x240"))
            #expect(parameters.contains("window center 600.0 width 1600.0"), "\(parameters)")
            let source = group.first("Source")?.referencedInstance
            #expect(source?.sopInstance == images[i]?.1 && source?.sopClass == images[i]?.0)

            let findings = group.children.filter { $0.concept?.scheme == CodedConcept.privateScheme && $0.valueType == "CODE" }
            #expect(findings.count == report.findings.count)
            for (node, f) in zip(findings, report.findings) {
                #expect(node.concept?.meaning == f.label && node.concept == .label(f.label))
                #expect(node.code == (f.positive ? .yes : .no))
                let p = try #require(node.first("Probability"))
                #expect(p.relationship == "HAS PROPERTIES" && p.number == f.probability, "\(f.label)")
                #expect(p.unit == .probabilityUnit)
                #expect(abs((Double(p.numberText ?? "") ?? -1) - f.probability) <= 1e-12)
                #expect(node.first("Decision threshold")?.number == f.threshold)
            }
            #expect(group.all("Analysis warning").compactMap(\.text) == report.warnings)
        }
    }

    @Test func labelsGetStableCodes() {
        #expect(CodedConcept.label("glioma") == CodedConcept("glioma", "99MEDINFER", "glioma"))
        let long = CodedConcept.label("an unusually long label, longer than sixteen")
        #expect(long.value.count == 16 && long.value.hasPrefix("L") && long == .label("an unusually long label, longer than sixteen"))
        #expect(long != .label("an unusually long label, longer than sixteen!"))
        #expect(CodedConcept.label("a\\b").value.hasPrefix("L"))
    }

    @Test func refusals() throws {
        let writer = StructuredReportWriter()
        #expect(throws: SRError.noReports) { try writer.write([]) }
        var other = Self.report(format: "png", path: "x.png")
        other.model.version = 2
        let mixed = [StructuredReportWriter.Input(report: Self.report(format: "png", path: "a.png")),
                     StructuredReportWriter.Input(report: other)]
        #expect(throws: SRError.self) { try writer.write(mixed) }
        var badHash = Self.report(format: "png", path: "x.png")
        badHash.model.sha256 = "not-a-hash"
        #expect(throws: SRError.invalidModelSHA256("not-a-hash")) { try writer.write([.init(report: badHash)]) }
        var nan = Self.report(format: "png", path: "x.png")
        nan.findings[0].probability = .nan
        #expect(throws: SRError.self) { try writer.write([.init(report: nan)]) }
        var studyA = DataSet(), studyB = DataSet()
        studyA.set(.studyInstanceUID, .UI, "1.2.3")
        studyB.set(.studyInstanceUID, .UI, "1.2.4")
        #expect(throws: SRError.mixedStudies("1.2.3", "1.2.4")) {
            try writer.write([.init(report: Self.report(format: "dicom", path: "a"), source: studyA),
                              .init(report: Self.report(format: "dicom", path: "b"), source: studyB)])
        }
        // A source value that breaks its VR is reported with its path, not written.
        var badDate = DataSet()
        badDate.set(SRTag.studyDate, .DA, "2001.01.01")
        do {
            _ = try writer.write([.init(report: Self.report(format: "dicom", path: "a"), source: badDate)])
            Issue.record("accepted an invalid study date")
        } catch {
            #expect("\(error)".contains("(0008,0020)"), "\(error)")
        }
    }
}

extension StructuredReportWriterTests {
    /// Non-ASCII text (a patient name decoded from Latin-1, a label) is written as UTF-8 and declared.
    @Test func nonASCIITextIsDeclaredUTF8() throws {
        var source = DataSet()
        source.set(.specificCharacterSet, .CS, "ISO_IR 100")
        source.set(.patientName, .PN, bytes: Data([0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72, 0x5E, 0x41, 0x6E, 0x6E, 0x61]))  // Müller^Anna, Latin-1
        source.set(.studyInstanceUID, .UI, "1.2.3.4")
        var report = Self.report(format: "dicom", path: "x.dcm")
        report.findings[0].label = "méningiome"
        let data = try StructuredReportWriter().write([.init(report: report, source: source)])
        try Self.validate(data, "utf8")
        let ds = try DICOMParser.parse(data).dataSet
        #expect(ds.string(.specificCharacterSet) == "ISO_IR 192")
        #expect(ds.string(.patientName) == "Müller^Anna")
        #expect(ds.string(.studyInstanceUID) == "1.2.3.4")
        let plain = try DICOMParser.parse(StructuredReportWriter().write([.init(report: Self.report(format: "png", path: "a.png"))]))
        #expect(plain.dataSet[.specificCharacterSet] == nil)
    }
}

extension StructuredReportWriterTests {
    /// The harness itself: a document missing type 1 attributes must be reported by dciodvfy, so a
    /// passing validation above means something.
    @Test func validatorsCatchABrokenDocument() throws {
        var ds = try StructuredReportWriter().dataSet(for: [.init(report: Self.report(format: "png", path: "a.png"))])
        ds.remove(SRTag.verificationFlag)
        ds.remove(SRTag.contentDate)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-\(UUID().uuidString)-broken.dcm")
        try DICOMWriter.part10(ds).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let iod = try DICOMValidators.dciodvfy(url)
        #expect(iod.errors.contains { $0.contains("<VerificationFlag>") }, "\(iod.output)")
        #expect(iod.errors.contains { $0.contains("<ContentDate>") }, "\(iod.output)")
    }
}
