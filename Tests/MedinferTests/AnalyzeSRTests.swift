import DICOM
import Foundation
import TestSupport
import Testing

/// `medinfer analyze --format sr`: one DICOM SR per image through the real pipeline and the default
/// model, each passing dciodvfy and dsrdump, named after the image without overwriting each other.
@Suite struct AnalyzeSRTests {
    @Test func srPerImageForDICOMJPEGAndPNG() throws {
        let dir = try AnalyzeCommandTests.folder(["ch2_axial.dcm", "ch2_axial.jpg", "BrainT1Slice.png"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = CLI.temporaryFile("sr")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try CLI.run(["analyze", dir.path, "--format", "sr", "--output-dir", out.path, "--threads", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(names == ["BrainT1Slice.png.sr.dcm", "ch2_axial.dcm.sr.dcm", "ch2_axial.jpg.sr.dcm"], "\(names)")
        #expect(r.stdout.split(separator: "\n").map { URL(fileURLWithPath: String($0)).lastPathComponent }.sorted() == names)

        let source = try DICOMParser.parse(Data(contentsOf: dir.appendingPathComponent("ch2_axial.dcm"))).dataSet
        var devices = Set<String>()
        for name in names {
            let url = out.appendingPathComponent(name)
            let iod = try DICOMValidators.dciodvfy(url)
            #expect(iod.errors.isEmpty, "dciodvfy \(name):\n\(iod.output)")
            #expect(iod.unexpectedWarnings.isEmpty, "dciodvfy \(name):\n\(iod.output)")
            let dump = try DICOMValidators.dsrdump(url)
            #expect(dump.status == 0 && dump.errors.isEmpty && dump.unexpectedWarnings.isEmpty, "dsrdump \(name):\n\(dump.output)")
            #expect(dump.output.contains("brain-mri-tumor") && dump.output.contains("decision aid, not a diagnosis"))

            let ds = try DICOMParser.parse(Data(contentsOf: url)).dataSet
            let equipment = try #require(ds.sequence(Tag(0x0018, 0xA001))?.first)
            #expect(equipment.string(Tag(0x0008, 0x1090)) == "brain-mri-tumor")
            #expect(equipment.string(Tag(0x0018, 0x1020)) == "1")
            #expect(equipment.string(Tag(0x0018, 0xA003))?.contains(AnalyzeCommandTests.sha) == true)
            devices.insert(try #require(equipment.string(Tag(0x0018, 0x1002))))
            let study = ds.string(.studyInstanceUID)
            if name == "ch2_axial.dcm.sr.dcm" {
                #expect(study == source.string(.studyInstanceUID))
                #expect(ds.string(.patientID) == source.string(.patientID))
                let evidence = ds.sequence(Tag(0x0040, 0xA375))?.first?.sequence(Tag(0x0008, 0x1115))?.first
                #expect(evidence?.sequence(Tag(0x0008, 0x1199))?.first?.string(Tag(0x0008, 0x1155)) == source.string(.sopInstanceUID))
            } else {
                #expect(study != source.string(.studyInstanceUID) && study?.hasPrefix("2.25.") == true)
            }
        }
        #expect(devices.count == 1, "one device UID for one set of weights")
    }

    @Test func srNeedsAnOutputFolder() throws {
        let r = try CLI.run(["analyze", "SampleImages/BrainT1Slice.png", "--format", "sr"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--output-dir"), "\(r.stderr)")
    }
}
