import DICOM
import Foundation
import Testing
import TestSupport

@Suite(.onComputeThreads) struct FramesTests {
    /// Fragments of the given sizes; offsets as the parser computes them (8-byte item headers).
    func encapsulated(_ fragments: [[UInt8]], bot: [UInt32] = []) -> EncapsulatedPixelData {
        var offsets: [UInt32] = []
        var at: UInt32 = 0
        for f in fragments {
            offsets.append(at)
            at += 8 + UInt32(f.count)
        }
        return EncapsulatedPixelData(basicOffsetTable: bot, fragments: fragments.map { Data($0) }, fragmentOffsets: offsets)
    }

    let a: [UInt8] = [0xFF, 0xD8, 1, 2]
    let aEnd: [UInt8] = [3, 4, 0xFF, 0xD9]
    let b: [UInt8] = [0xFF, 0xD8, 5, 0xFF, 0xD9, 0x00]  // EOI then one padding byte

    @Test func basicOffsetTable() throws {
        let enc = encapsulated([a, aEnd, b], bot: [0, 24])
        let frames = try enc.frames(count: 2)
        #expect(frames == [Data(a + aEnd), Data(b)])
    }

    @Test func inconsistentOffsetTableFallsBack() throws {
        // Offset 7 does not start a fragment: split on EOI markers instead.
        let enc = encapsulated([a, aEnd, b], bot: [0, 7])
        #expect(try enc.frames(count: 2) == [Data(a + aEnd), Data(b)])
    }

    @Test func onePerFragmentAndSingleFrame() throws {
        let enc = encapsulated([a, aEnd, b])
        #expect(try enc.frames(count: 3).count == 3)
        #expect(try enc.frames(count: 1) == [Data(a + aEnd + b)])
    }

    @Test func splitOnEndOfImage() throws {
        let enc = encapsulated([a, aEnd, a, aEnd, b])
        #expect(try enc.frames(count: 3) == [Data(a + aEnd), Data(a + aEnd), Data(b)])
    }

    @Test func impossibleLayoutsThrow() {
        let enc = encapsulated([a, aEnd])
        #expect(throws: DICOMError.self) { try enc.frames(count: 3) }  // fewer fragments than frames
        #expect(throws: DICOMError.self) { try enc.frames(count: 0) }
        let noMarkers = encapsulated([[1, 2], [3, 4], [5, 6]])
        #expect(throws: DICOMError.self) { try noMarkers.frames(count: 2) }
        let empty = EncapsulatedPixelData(basicOffsetTable: [], fragments: [], fragmentOffsets: [])
        #expect(throws: DICOMError.self) { try empty.frames(count: 1) }
    }

    @Test func extendedOffsetTable() throws {
        var enc = encapsulated([a, aEnd, b])
        enc.extendedOffsets = [0, 12, 24]
        enc.extendedLengths = [4, 3, 6]
        #expect(try enc.frames(count: 3) == [Data(a), Data(aEnd.prefix(3)), Data(b)])
    }

    @Test func parsedExtendedOffsetTable() throws {
        // A synthetic file: EOT (7FE0,0001) OV and lengths (7FE0,0002) OV, two fragments, empty BOT.
        var d = DataSetBuilder()
        d.explicit(0x0028, 0x0008, "IS", text: "2")
        let off: [UInt8] = Array(repeating: 0, count: 8) + [12, 0, 0, 0, 0, 0, 0, 0]
        let len: [UInt8] = [4, 0, 0, 0, 0, 0, 0, 0] + [4, 0, 0, 0, 0, 0, 0, 0]
        d.explicit(0x7FE0, 0x0001, "OV", off)
        d.explicit(0x7FE0, 0x0002, "OV", len)
        d.explicit(0x7FE0, 0x0010, "OB", [], length: 0xFFFF_FFFF)
        d.item(length: 0)
        d.item(length: 4); d.bytes += a
        d.item(length: 4); d.bytes += aEnd
        d.sequenceEnd()
        let file = try DICOMParser.parse(d.part10(transferSyntax: "1.2.840.10008.1.2.4.50"))
        guard case .encapsulated(let enc)? = file.dataSet[.pixelData]?.value else {
            Issue.record("not encapsulated"); return
        }
        #expect(enc.extendedOffsets == [0, 12])
        #expect(enc.extendedLengths == [4, 4])
        #expect(try enc.frames(count: 2) == [Data(a), Data(aEnd)])
    }
}
