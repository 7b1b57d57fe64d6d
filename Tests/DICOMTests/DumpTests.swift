import DICOM
import Foundation
import Testing
import TestSupport

@Suite(.onComputeThreads) struct DumpTests {
    @Test func dumpLines() throws {
        let ds = try DICOMFixture.parse("CT_small.dcm").dataSet
        let lines = ds.dumpLines()
        #expect(lines.contains("(0010,0010) PN PatientName  CompressedSamples^CT1"))
        #expect(lines.contains("(0028,0010) US Rows  128"))
        #expect(lines.contains("(7FE0,0010) OW PixelData  <32768 bytes>"))
        #expect(lines.count >= ds.elements.count)
        let short = ds.dumpLines(maxValueLength: 10)
        #expect(short.filter { !$0.hasPrefix(" ") && !$0.hasSuffix(">") }.allSatisfy { line in
            guard let r = line.range(of: "  ") else { return true }
            return line[r.upperBound...].count <= 10
        })
    }

    @Test func dumpNestsSequencesAndEncapsulated() throws {
        let un = try DICOMFixture.parse("UN_sequence.dcm").dataSet.dumpLines()
        #expect(un.contains("(4453,100C) SQ ?  <1 item>"))
        #expect(un.contains("  Item 1"))
        #expect(un.contains { $0.hasPrefix("    (0008,1115) SQ ReferencedSeriesSequence") })
        #expect(un.contains { $0.hasPrefix("        (0008,1199) SQ ReferencedSOPSequence") })
        let ybr = try DICOMFixture.parse("examples_ybr_color.dcm").dataSet.dumpLines()
        #expect(ybr.contains { $0.hasPrefix("(7FE0,0010) OB PixelData  <encapsulated: 30 fragments") })
    }

    @Test func json() throws {
        let ds = try DICOMFixture.parse("CT_small.dcm").dataSet
        let object = ds.jsonObject()
        #expect(JSONSerialization.isValidJSONObject(object))
        let name = try #require(object["00100010"] as? [String: Any])
        #expect(name["vr"] as? String == "PN")
        let names = try #require(name["Value"] as? [[String: Any]])
        #expect(names.first?["Alphabetic"] as? String == "CompressedSamples^CT1")
        let rows = try #require(object["00280010"] as? [String: Any])
        #expect(rows["Value"] as? [Int] == [128])
        let intercept = try #require(object["00281052"] as? [String: Any])
        #expect((intercept["Value"] as? [Any])?.first as? Int == -1024 || (intercept["Value"] as? [Any])?.first as? Double == -1024)
        let pixels = try #require(object["7FE00010"] as? [String: Any])
        #expect(pixels["vr"] as? String == "OW")
        #expect(pixels["InlineBinary"] == nil)  // 32768 bytes: too large to inline
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(data.count > 100)

        let seq = try DICOMFixture.parse("UN_sequence.dcm").dataSet.jsonObject()
        let un = try #require(seq["4453100C"] as? [String: Any])
        #expect(un["vr"] as? String == "SQ")
        #expect((un["Value"] as? [[String: Any]])?.count == 1)
    }
}
