import DICOM
import Testing
import TestSupport

@Suite(.onComputeThreads) struct DataDictionaryTests {
    @Test func standardEntries() {
        #expect(DataDictionary.keyword(for: .patientName) == "PatientName")
        #expect(DataDictionary.entry(for: .patientName)?.vr == .PN)
        #expect(DataDictionary.entry(for: .rows)?.vr == .US)
        #expect(DataDictionary.entry(for: Tag(0x0008, 0x1140))?.vr == .SQ)
        #expect(DataDictionary.tag(forKeyword: "RescaleIntercept") == .rescaleIntercept)
        #expect(DataDictionary.tag(forKeyword: "TransferSyntaxUID") == .transferSyntaxUID)
        #expect(DataDictionary.tag(forKeyword: "NoSuchKeyword") == nil)
        // Private and unknown tags are not in the dictionary.
        #expect(DataDictionary.entry(for: Tag(0x0009, 0x1001)) == nil)
        #expect(DataDictionary.entry(for: Tag(0x0008, 0xFFF0)) == nil)
    }

    @Test func ambiguousVRs() {
        // "US or SS" -> first; "OB or OW" pixel data -> OW (implicit VR rule).
        #expect(DataDictionary.entry(for: Tag(0x0028, 0x0106))?.vr == .US)
        #expect(DataDictionary.allowedVRs(for: Tag(0x0028, 0x0106)) == [.US, .SS])
        #expect(DataDictionary.entry(for: .pixelData)?.vr == .OW)
        #expect(DataDictionary.entry(for: Tag(0x0028, 0x3006))?.vr == .US)  // LUTData "US or OW"
    }

    @Test func repeatingGroups() {
        #expect(DataDictionary.keyword(for: Tag(0x6000, 0x3000)) == "OverlayData")
        #expect(DataDictionary.keyword(for: Tag(0x6002, 0x3000)) == "OverlayData")
        #expect(DataDictionary.entry(for: Tag(0x601E, 0x0010))?.vr == .US)  // OverlayRows
        #expect(DataDictionary.keyword(for: Tag(0x5010, 0x0005)) == "CurveDimensions")
        #expect(DataDictionary.keyword(for: Tag(0x7F02, 0x0010)) == "VariablePixelData")
        #expect(DataDictionary.keyword(for: Tag(0x6001, 0x3000)) == nil)  // odd group: private
        #expect(DataDictionary.tag(forKeyword: "OverlayData") == Tag(0x6000, 0x3000))
    }
}
