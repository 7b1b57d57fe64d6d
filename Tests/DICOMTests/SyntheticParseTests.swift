import DICOM
import Foundation
import Testing
import TestSupport

/// Hand-built byte streams for the encoding corners and the limits.
@Suite(.onComputeThreads) struct SyntheticParseTests {
    @Test func implicitElementInsideExplicitDataSet() throws {
        var b = DataSetBuilder()
        b.explicit(0x0008, 0x0060, "CS", text: "CT")
        b.implicit(0x0028, 0x0010, le16(256))  // no VR: pydicom reads it as implicit, VR from the dictionary
        b.explicit(0x0028, 0x0011, "US", le16(128))
        let ds = try DICOMParser.parse(b.part10(transferSyntax: "1.2.840.10008.1.2.1")).dataSet
        #expect(ds.int(.rows) == 256)
        #expect(ds[.rows]?.vr == .US)
        #expect(ds.int(.columns) == 128)
    }

    @Test func unknownUppercaseVRHasShortLength() throws {
        var b = DataSetBuilder()
        b.explicit(0x0008, 0x0060, "CS", text: "CT")
        b.explicit(0x0009, 0x1001, "QQ", [1, 2])
        b.explicit(0x0028, 0x0010, "US", le16(64))
        let ds = try DICOMParser.parse(b.part10(transferSyntax: "1.2.840.10008.1.2.1")).dataSet
        #expect(ds[Tag(0x0009, 0x1001)]?.vr == .UN)
        #expect(ds.int(.rows) == 64)
    }

    @Test func unOfKnownTagTakesDictionaryVR() throws {
        var b = DataSetBuilder()
        b.explicit(0x0028, 0x0010, "UN", le16(512))
        b.explicit(0x0029, 0x0010, "UN", Array("ACME".utf8))
        let ds = try DICOMParser.parse(b.part10(transferSyntax: "1.2.840.10008.1.2.1")).dataSet
        #expect(ds[.rows]?.vr == .US)
        #expect(ds.int(.rows) == 512)
        #expect(ds[Tag(0x0029, 0x0010)]?.vr == .LO)  // private creator
    }

    @Test func definedLengthSequencesAndItems() throws {
        var item = DataSetBuilder()
        item.explicit(0x0008, 0x1150, "UI", text: "1.2.3")
        var b = DataSetBuilder()
        b.explicit(0x0008, 0x1140, "SQ", [], length: UInt32(8 + item.bytes.count) * 2)
        b.item(length: UInt32(item.bytes.count)); b.bytes += item.bytes
        b.item(length: UInt32(item.bytes.count)); b.bytes += item.bytes
        b.explicit(0x0010, 0x0010, "PN", text: "A^B")
        let ds = try DICOMParser.parse(b.part10(transferSyntax: "1.2.840.10008.1.2.1")).dataSet
        let seq = try #require(ds.sequence(Tag(0x0008, 0x1140)))
        #expect(seq.count == 2)
        #expect(seq.allSatisfy { $0.string(Tag(0x0008, 0x1150)) == "1.2.3" })
        #expect(ds.string(.patientName) == "A^B")
    }

    @Test func implicitItemsInsideExplicitSequence() throws {
        // PS3.5 6.2.2 allows items of an undefined-length sequence to be implicit VR.
        var b = DataSetBuilder()
        b.explicit(0x0008, 0x1140, "SQ", [], length: 0xFFFF_FFFF)
        b.item()
        b.implicit(0x0008, 0x1150, Array("1.2.3\0".utf8))
        b.itemEnd()
        b.sequenceEnd()
        b.explicit(0x0028, 0x0010, "US", le16(7))
        let ds = try DICOMParser.parse(b.part10(transferSyntax: "1.2.840.10008.1.2.1")).dataSet
        #expect(ds.sequence(Tag(0x0008, 0x1140))?.first?.string(Tag(0x0008, 0x1150)) == "1.2.3")
        #expect(ds.int(.rows) == 7)
    }

    @Test func bigEndianSwapsWords() throws {
        var b = DataSetBuilder()
        b.littleEndian = false
        b.explicit(0x0008, 0x0060, "CS", text: "MR")
        b.explicit(0x0018, 0x9090, "FD", [0x3F, 0xF0, 0, 0, 0, 0, 0, 0])  // 1.0 big endian
        b.explicit(0x0028, 0x0009, "AT", [0x00, 0x18, 0x10, 0x63])  // (0018,1063)
        b.explicit(0x0028, 0x0010, "US", [0x01, 0x00])  // 256
        let f = try DICOMParser.parse(b.part10(transferSyntax: "1.2.840.10008.1.2.2"))
        #expect(f.dataSet.string(.modality) == "MR")
        #expect(f.dataSet.double(Tag(0x0018, 0x9090)) == 1.0)
        #expect(f.dataSet.ints(Tag(0x0028, 0x0009)) == [0x0018, 0x1063])
        #expect(f.dataSet.int(.rows) == 256)
    }

    @Test func ambiguousUSorSSFollowsPixelRepresentation() throws {
        var b = DataSetBuilder()
        b.implicit(0x0028, 0x0103, le16(1))
        b.implicit(0x0028, 0x0106, le16(0xFFFE))  // SmallestImagePixelValue, "US or SS"
        b.implicit(0x0028, 0x3002, le16(0xFFFF) + le16(0) + le16(16))  // LUTDescriptor: US
        let ds = try DICOMParser.parse(b.part10(transferSyntax: "1.2.840.10008.1.2")).dataSet
        #expect(ds[Tag(0x0028, 0x0106)]?.vr == .SS)
        #expect(ds.int(Tag(0x0028, 0x0106)) == -2)
        #expect(ds[Tag(0x0028, 0x3002)]?.vr == .US)
        #expect(ds.int(Tag(0x0028, 0x3002)) == 65535)
    }

    @Test func oddLengthsAreTolerated() throws {
        var b = DataSetBuilder()
        b.explicit(0x0010, 0x0010, "PN", Array("Odd".utf8))  // 3 bytes, no padding
        b.explicit(0x0010, 0x0020, "LO", Array("ID7".utf8))
        let ds = try DICOMParser.parse(b.part10(transferSyntax: "1.2.840.10008.1.2.1")).dataSet
        #expect(ds.string(.patientName) == "Odd")
        #expect(ds.string(.patientID) == "ID7")
    }

    @Test func lengthBeyondEndIsTypedError() throws {
        // An item longer than its sequence is a structural error, not the end of the file.
        var b = DataSetBuilder()
        b.explicit(0x0008, 0x1140, "SQ", [], length: 16)
        b.item(length: 40)
        b.explicit(0x0008, 0x1150, "UI", text: "1.2")
        b.explicit(0x0010, 0x0010, "PN", text: "A^B")
        b.explicit(0x0010, 0x0020, "LO", text: "ID")
        #expect(throws: DICOMError.self) { try DICOMParser.parse(b.part10(transferSyntax: "1.2.840.10008.1.2.1")) }
        var top = DataSetBuilder()
        top.explicit(0x0010, 0x0010, "PN", text: "A^B")
        top.explicit(0x0010, 0x0020, "LO", [], length: 60)
        // At the top level the cut element is dropped and reported.
        let f = try DICOMParser.parse(top.part10(transferSyntax: "1.2.840.10008.1.2.1"))
        #expect(f.dataSet.string(.patientName) == "A^B")
        #expect(!f.dataSet.contains(.patientID))
        #expect(f.problems.count == 1)
    }

    @Test func limitsAreEnforced() throws {
        var nested = DataSetBuilder()
        for _ in 0..<40 {
            nested.explicit(0x0008, 0x1140, "SQ", [], length: 0xFFFF_FFFF)
            nested.item()
        }
        for _ in 0..<40 { nested.itemEnd(); nested.sequenceEnd() }
        let deep = nested.part10(transferSyntax: "1.2.840.10008.1.2.1")
        do {
            _ = try DICOMParser.parse(deep)
            Issue.record("depth limit not enforced")
        } catch {
            guard case .limitExceeded(_, _, let limit, _, _) = error else { Issue.record("\(error)"); return }
            #expect(limit == "sequence depth")
        }
        var relaxed = ParseLimits()
        relaxed.maxSequenceDepth = 64
        #expect(throws: Never.self) { try DICOMParser.parse(deep, limits: relaxed) }

        var many = DataSetBuilder()
        for i in 0..<20 { many.explicit(0x0009, UInt16(0x1000 + i), "US", le16(1)) }
        var few = ParseLimits()
        few.maxElementCount = 10
        #expect(throws: DICOMError.self) { try DICOMParser.parse(many.part10(transferSyntax: "1.2.840.10008.1.2.1"), limits: few) }

        var big = DataSetBuilder()
        big.explicit(0x0009, 0x1000, "OB", [UInt8](repeating: 0, count: 64))
        var small = ParseLimits()
        small.maxElementLength = 32
        #expect(throws: DICOMError.self) { try DICOMParser.parse(big.part10(transferSyntax: "1.2.840.10008.1.2.1"), limits: small) }

        var frags = DataSetBuilder()
        frags.explicit(0x7FE0, 0x0010, "OB", [], length: 0xFFFF_FFFF)
        frags.item(length: 0)
        for _ in 0..<10 { frags.item(length: 2); frags.bytes += [0, 0] }
        frags.sequenceEnd()
        var fewFragments = ParseLimits()
        fewFragments.maxFragments = 4
        #expect(throws: DICOMError.self) {
            try DICOMParser.parse(frags.part10(transferSyntax: "1.2.840.10008.1.2.4.50"), limits: fewFragments)
        }
    }

    @Test func inflatedSizeIsBounded() throws {
        let dfl = try DICOMFixture.data("image_dfl.dcm")
        var limits = ParseLimits()
        limits.maxInflatedSize = 1000
        do {
            _ = try DICOMParser.parse(dfl, limits: limits)
            Issue.record("inflate limit not enforced")
        } catch {
            guard case .inflateFailed = error else { Issue.record("\(error)"); return }
        }
    }

    @Test func unknownTransferSyntaxStillParses() throws {
        var b = DataSetBuilder()
        b.explicit(0x0028, 0x0010, "US", le16(4))
        let f = try DICOMParser.parse(b.part10(transferSyntax: "1.2.3.4.5.6"))
        #expect(f.transferSyntax.uid == "1.2.3.4.5.6")
        #expect(f.dataSet.int(.rows) == 4)
    }
}
