import DICOM
import Foundation
import Testing
import TestSupport

// Reference values come from pydicom 3.0.2 (`pydicom.dcmread(path)` and the element values),
// computed once and pasted here.

@Suite(.onComputeThreads) struct ParserFixtureTests {
    /// Fixtures pydicom itself cannot read sensibly: no_meta.dcm starts with a stray 0x20 byte
    /// (pydicom with force=True yields a single garbage element (0820,0500)).
    static let unreadable: Set<String> = ["no_meta.dcm"]

    @Test func everyFixtureParses() throws {
        let urls = DICOMFixture.all
        #expect(urls.count >= 50)
        for url in urls {
            let data = try Data(contentsOf: url)
            let name = url.lastPathComponent
            if Self.unreadable.contains(name) {
                #expect(throws: DICOMError.self) { try DICOMParser.parse(data) }
                continue
            }
            let file: DICOMFile
            do {
                file = try DICOMParser.parse(data)
            } catch {
                Issue.record("\(name): \(error)")
                continue
            }
            #expect(!file.dataSet.elements.isEmpty, "\(name)")
            #expect(DICOMParser.looksLikeDICOM(data.prefix(132)), "\(name)")
            _ = file.dataSet.dumpLines()
            let json = file.dataSet.jsonObject()
            #expect(JSONSerialization.isValidJSONObject(json), "\(name)")
        }
    }

    @Test func ctSmall() throws {
        let f = try DICOMFixture.parse("CT_small.dcm")
        let ds = f.dataSet
        #expect(f.hasPreamble)
        #expect(f.transferSyntax == .explicitVRLittleEndian)
        #expect(ds.int(.rows) == 128)
        #expect(ds.int(.columns) == 128)
        #expect(ds.double(.rescaleIntercept) == -1024)
        #expect(ds.double(.rescaleSlope) == 1)
        #expect(ds.string(.patientName) == "CompressedSamples^CT1")
        #expect(ds.string(.patientID) == "1CT1")
        #expect(ds.string(.modality) == "CT")
        #expect(ds.int(.bitsAllocated) == 16)
        #expect(ds.int(.pixelRepresentation) == 1)
        #expect(ds.doubles(Tag(0x0020, 0x0032)) == [-158.135803, -179.035797, -75.699997])
        #expect(ds.string(.sopInstanceUID) == "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322")
        #expect(ds[.pixelData]?.bytes?.count == 32768)
        #expect(ds[Tag(0x0043, 0x1028)]?.vr == .OB)  // private OB
        #expect(f.fileMetaInformation.string(.transferSyntaxUID) == "1.2.840.10008.1.2.1")
        #expect(ds[.pixelData]?.offset ?? 0 > 128)
    }

    /// The same image in four encodings gives identical values and little-endian pixel bytes.
    @Test func mrSmallEncodingsAgree() throws {
        let reference = try DICOMFixture.parse("MR_small.dcm")
        let expectedSyntax: [String: TransferSyntax] = [
            "MR_small_bigendian.dcm": .explicitVRBigEndian, "MR_small_expb.dcm": .explicitVRBigEndian,
            "MR_small_implicit.dcm": .implicitVRLittleEndian,
        ]
        let refPixels = try #require(reference.dataSet[.pixelData]?.bytes)
        // pydicom: pixel_array[0, :4] == [905, 1019, 1227, 1259], sum 2125338.
        let words = stride(from: 0, to: refPixels.count - 1, by: 2).map {
            Int(UInt16(refPixels[refPixels.startIndex + $0]) | UInt16(refPixels[refPixels.startIndex + $0 + 1]) << 8)
        }
        #expect(Array(words.prefix(4)) == [905, 1019, 1227, 1259])
        #expect(words.reduce(0, +) == 2_125_338)
        for (name, syntax) in expectedSyntax {
            let f = try DICOMFixture.parse(name)
            #expect(f.transferSyntax == syntax, "\(name)")
            let ds = f.dataSet
            #expect(ds.int(.rows) == 64 && ds.int(.columns) == 64, "\(name)")
            #expect(ds.doubles(Tag(0x0028, 0x0030)) == [0.3125, 0.3125], "\(name)")
            #expect(ds.string(.patientName) == "CompressedSamples^MR1", "\(name)")
            #expect(ds.double(.windowCenter) == 600, "\(name)")
            #expect(ds[.pixelData]?.bytes == refPixels, "\(name)")
            // Every binary numeric element reads the same as in the little-endian file.
            for e in reference.dataSet.sortedElements where [.US, .SS, .UL, .SL, .FL, .FD].contains(e.vr) {
                #expect(ds.doubles(e.tag) == reference.dataSet.doubles(e.tag), "\(name) \(e.tag)")
            }
        }
    }

    @Test func deflated() throws {
        let f = try DICOMFixture.parse("image_dfl.dcm")
        #expect(f.transferSyntax == .deflatedExplicitVRLittleEndian)
        // pydicom: Rows 512, Columns 512, Modality OT, 29 elements, 262144 pixel bytes.
        #expect(f.dataSet.int(.rows) == 512)
        #expect(f.dataSet.int(.columns) == 512)
        #expect(f.dataSet.string(.modality) == "OT")
        #expect(f.dataSet.elements.count == 29)
        #expect(f.dataSet[.pixelData]?.bytes?.count == 262_144)
    }

    @Test func bareDataSets() throws {
        let big = try DICOMFixture.parse("ExplVR_BigEndNoMeta.dcm")
        let little = try DICOMFixture.parse("ExplVR_LitEndNoMeta.dcm")
        #expect(!big.hasPreamble && !little.hasPreamble)
        #expect(big.transferSyntax == .explicitVRBigEndian)
        #expect(little.transferSyntax == .explicitVRLittleEndian)
        // pydicom: 24 elements, SOPClassUID RT Plan Storage, Modality RTPLAN.
        #expect(big.dataSet.elements.count == 24)
        #expect(little.dataSet.elements.count == 24)
        #expect(big.dataSet.string(.sopClassUID) == "1.2.840.10008.5.1.4.1.1.481.8")
        #expect(big.dataSet.string(.modality) == "RTPLAN")
        for e in little.dataSet.sortedElements {
            let other = try #require(big.dataSet[e.tag], "\(e.tag)")
            #expect(other.vr == e.vr, "\(e.tag)")
            if e.bytes != nil {
                #expect(big.dataSet.strings(e.tag) == little.dataSet.strings(e.tag) || !e.vr.isText, "\(e.tag)")
                #expect(other.bytes == e.bytes, "\(e.tag)")
            }
        }
    }

    @Test func metaWithoutTransferSyntaxIsSniffed() throws {
        // pydicom: 2 elements, Pixel Data present; no (0002,0010).
        let f = try DICOMFixture.parse("meta_missing_tsyntax.dcm")
        #expect(f.fileMetaInformation.string(.transferSyntaxUID) == nil)
        #expect(f.dataSet.elements.count == 2)
        #expect(f.dataSet.contains(.pixelData))
    }

    @Test func privateSequences() throws {
        // pydicom: (0001,0001) SQ [ (0001,0001) SQ [ (0001,0001) UN 'Double Nested SQ' ], (0001,0002) UN 'Nested SQ' ]
        let nested = try DICOMFixture.parse("nested_priv_SQ.dcm").dataSet
        let outer = try #require(nested.sequence(Tag(0x0001, 0x0001)))
        #expect(outer.count == 1)
        let inner = try #require(outer.first?.sequence(Tag(0x0001, 0x0001)))
        #expect(inner.count == 1)
        #expect(inner.first?[Tag(0x0001, 0x0001)]?.bytes == Data("Double Nested SQ".utf8))
        #expect(outer.first?[Tag(0x0001, 0x0002)]?.bytes.map { String(decoding: $0, as: UTF8.self) }?.hasPrefix("Nested SQ") == true)

        // pydicom: (3F03,0010) LO private creator, (3F03,1001) UN of 166 bytes (implicit, defined length).
        let priv = try DICOMFixture.parse("priv_SQ.dcm").dataSet
        #expect(priv[Tag(0x3F03, 0x0010)]?.vr == .LO)
        #expect(priv.string(Tag(0x3F03, 0x0010)) == "aaabbbccc MEDICAL SYSTEMS")
        #expect(priv[Tag(0x3F03, 0x1001)]?.bytes?.count == 166)
    }

    @Test func unSequenceOfUndefinedLength() throws {
        // pydicom: (4453,100C) UN undefined length read as SQ of implicit VR items:
        // 1 item > (0008,1115) 1 item > (0008,1199) 1 item > (0008,1150) CT Image Storage.
        let ds = try DICOMFixture.parse("UN_sequence.dcm").dataSet
        let seq = try #require(ds.sequence(Tag(0x4453, 0x100C)))
        #expect(seq.count == 1)
        #expect(seq[0].string(.studyInstanceUID) == "1.2.840.113619.2.327.3.185221411.476.1398588725.795")
        let series = try #require(seq[0].sequence(Tag(0x0008, 0x1115)))
        #expect(series.first?.string(.seriesInstanceUID) == "1.2.840.113619.2.327.3.185221411.476.1398588726.276")
        let sop = try #require(series.first?.sequence(Tag(0x0008, 0x1199)))
        #expect(sop.first?.string(Tag(0x0008, 0x1150)) == "1.2.840.10008.5.1.4.1.1.2")
        #expect(sop.first?[Tag(0x0008, 0x1150)]?.vr == .UI)
    }

    @Test func encapsulatedFragments() throws {
        // pydicom: examples_ybr_color: 30 frames, BOT of 30 starting [0, 6130, 12224, 18312],
        // 30 fragments, frame lengths start [6122, 6086, 6080, 6054], total 189474.
        let ybr = try DICOMFixture.parse("examples_ybr_color.dcm")
        #expect(ybr.transferSyntax == .jpegBaseline8Bit)
        guard case .encapsulated(let enc)? = ybr.dataSet[.pixelData]?.value else {
            Issue.record("pixel data not encapsulated"); return
        }
        #expect(ybr.dataSet[.pixelData]?.vr == .OB)
        #expect(enc.basicOffsetTable.count == 30)
        #expect(Array(enc.basicOffsetTable.prefix(4)) == [0, 6130, 12224, 18312])
        #expect(enc.fragments.count == 30)
        #expect(Array(enc.fragmentOffsets.prefix(4)) == [0, 6130, 12224, 18312])
        let frames = try enc.frames(count: 30)
        #expect(frames.map(\.count).prefix(4) == [6122, 6086, 6080, 6054])
        #expect(frames.reduce(0) { $0 + $1.count } == 189_474)
        #expect(frames.allSatisfy { $0.first == 0xFF && $0.dropFirst().first == 0xD8 })

        // pydicom: JPEG2000.dcm: 1 frame, empty BOT, 1 fragment of 250 bytes.
        let j2k = try DICOMFixture.parse("JPEG2000.dcm")
        guard case .encapsulated(let j)? = j2k.dataSet[.pixelData]?.value else {
            Issue.record("pixel data not encapsulated"); return
        }
        #expect(j.basicOffsetTable.isEmpty)
        #expect(j.fragments.map(\.count) == [250])
        #expect(try j.frames(count: 1).map(\.count) == [250])

        // pydicom: examples_jpeg2k: 1 frame in 3 fragments [65536, 65536, 21222] -> 152294 bytes.
        let multi = try DICOMFixture.parse("examples_jpeg2k.dcm")
        guard case .encapsulated(let m)? = multi.dataSet[.pixelData]?.value else {
            Issue.record("pixel data not encapsulated"); return
        }
        #expect(m.fragments.map(\.count) == [65536, 65536, 21222])
        #expect(try m.frames(count: 1).map(\.count) == [152_294])

        // pydicom: emri_small_jpeg_2k_lossless: 10 frames, no BOT, 10 fragments.
        let emri = try DICOMFixture.parse("emri_small_jpeg_2k_lossless.dcm")
        guard case .encapsulated(let e)? = emri.dataSet[.pixelData]?.value else {
            Issue.record("pixel data not encapsulated"); return
        }
        #expect(e.basicOffsetTable.isEmpty)
        #expect(try e.frames(count: 10).map(\.count).prefix(4) == [3814, 3840, 3834, 3836])
    }

    @Test func truncatedFileKeepsElementsBeforeTheCut() throws {
        // pydicom reads MR_truncated.dcm with a short Pixel Data; we drop the cut element and
        // report it, keeping the 71 elements before it (pydicom: 72 with Pixel Data).
        let f = try DICOMFixture.parse("MR_truncated.dcm")
        #expect(f.dataSet.elements.count == 71)
        #expect(!f.dataSet.contains(.pixelData))
        #expect(f.dataSet.int(.rows) == 64)
        #expect(f.dataSet.string(.patientName) == "CompressedSamples^MR1")
        guard case .truncated(_, let tag, _, _)? = f.problems.first else {
            Issue.record("expected a truncation problem, got \(f.problems)"); return
        }
        #expect(tag == .pixelData)
    }

    @Test func badVRAndImplicitElementsInExplicitFiles() throws {
        // pydicom: badVR.dcm: 45 elements, Rows 10, PatientName Lastname^Firstname, NumberOfFrames '1A'.
        let bad = try DICOMFixture.parse("badVR.dcm").dataSet
        #expect(bad.elements.count == 45)
        #expect(bad.int(.rows) == 10)
        #expect(bad.string(.patientName) == "Lastname^Firstname")
        #expect(bad.string(.numberOfFrames) == "1A")
        // SC_rgb_jpeg_dcmtk has its Pixel Data written in implicit VR inside explicit VR: pydicom says OB.
        let sc = try DICOMFixture.parse("SC_rgb_jpeg_dcmtk.dcm").dataSet
        if case .encapsulated = sc[.pixelData]?.value {} else { Issue.record("pixel data not encapsulated") }
    }

    @Test func emptyCharacterSet() throws {
        // pydicom: empty_charset_LEI.dcm: implicit VR LE, 2 elements.
        let f = try DICOMFixture.parse("empty_charset_LEI.dcm")
        #expect(f.transferSyntax == .implicitVRLittleEndian)
        #expect(f.dataSet.elements.count == 2)
        #expect(f.dataSet.characterSet.terms.isEmpty)
    }

    @Test func looksLikeDICOM() throws {
        let ct = try DICOMFixture.data("CT_small.dcm")
        #expect(DICOMParser.looksLikeDICOM(ct.prefix(132)))
        #expect(DICOMParser.looksLikeDICOM(try DICOMFixture.data("ExplVR_BigEndNoMeta.dcm").prefix(132)))
        #expect(DICOMParser.looksLikeDICOM(try DICOMFixture.data("ExplVR_LitEndNoMeta.dcm").prefix(132)))
        var implicitBare = DataSetBuilder()
        implicitBare.implicit(0x0008, 0x0005, Array("ISO_IR 100".utf8))
        #expect(DICOMParser.looksLikeDICOM(implicitBare.data))
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 200))
        let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46] + [UInt8](repeating: 0, count: 200))
        let j2k = Data([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A])
        #expect(!DICOMParser.looksLikeDICOM(png))
        #expect(!DICOMParser.looksLikeDICOM(jpeg))
        #expect(!DICOMParser.looksLikeDICOM(Data("hello world, not dicom".utf8)))
        #expect(!DICOMParser.looksLikeDICOM(Data()))
        #expect(throws: DICOMError.self) { try DICOMParser.parse(png) }
        #expect(throws: DICOMError.self) { try DICOMParser.parse(jpeg) }
        #expect(!DICOMParser.looksLikeDICOM(j2k))
    }
}
