import DICOM
import Foundation
@testable import Imaging
import Testing
import TestSupport

/// PALETTE COLOR on hand-built data sets. Expected values are pydicom 3.0.2's `apply_color_lut` on the
/// same attributes (computed once, written here).
@Suite(.onComputeThreads) struct DICOMPaletteTests {
    static let indices = [0, 1, 2, 3, 4, 5, 6, 100]

    static func palette(descriptor: [Int], red: [Int], green: [Int], blue: [Int], segmented: Bool = false,
                        indices: [Int] = indices, lutVR: VR = .OW) -> SyntheticDataSet
    {
        var s = SyntheticDataSet(rows: 1, columns: indices.count, bitsAllocated: 16, photometric: "PALETTE COLOR")
        s.pixelWords(indices)
        for tag in [Tag.redPaletteColorLookupTableDescriptor, .greenPaletteColorLookupTableDescriptor,
                    .bluePaletteColorLookupTableDescriptor] {
            s.us(tag, descriptor[0], descriptor[1], descriptor[2])
        }
        let tags: [Tag] = segmented
            ? [.segmentedRedPaletteColorLookupTableData, .segmentedGreenPaletteColorLookupTableData,
               .segmentedBluePaletteColorLookupTableData]
            : [.redPaletteColorLookupTableData, .greenPaletteColorLookupTableData, .bluePaletteColorLookupTableData]
        for (tag, values) in zip(tags, [red, green, blue]) {
            if lutVR == .OB {
                s.bytes(tag, .OB, values.map { UInt8(truncatingIfNeeded: $0) })
            } else {
                s.words(tag, .OW, values)
            }
        }
        return s
    }

    /// 8-bit entries stored in 16-bit words, first mapped value 2: pydicom returns uint16 (it types the
    /// output by the stored entry size), indices below 2 take entry 0, above the table the last entry.
    @Test func eightBitEntriesInSixteenBitWords() throws {
        let s = Self.palette(descriptor: [4, 2, 8], red: [10, 20, 30, 40], green: [1, 2, 3, 4], blue: [200, 150, 100, 50])
        let image = try s.decode()
        let rgb: [UInt16] = [10, 1, 200, 10, 1, 200, 10, 1, 200, 20, 2, 150, 30, 3, 100, 40, 4, 50, 40, 4, 50, 40, 4, 50]
        #expect(image.pixels == .uint16(rgb))
        #expect(image.samplesPerPixel == 3)
        #expect(image.bitsStored == 8)
        #expect(image.photometricInterpretation == "PALETTE COLOR")
        let display = try image.displayFrame(0)
        #expect(display[0] == Float(10.0 / 255))
        #expect(try image.modalityFrame(0)[2] == 200)
    }

    @Test func eightBitEntriesInBytesGiveUInt8() throws {
        let s = Self.palette(descriptor: [4, 2, 8], red: [10, 20, 30, 40], green: [1, 2, 3, 4], blue: [200, 150, 100, 50],
                             lutVR: .OB)
        let image = try s.decode()
        #expect(image.pixels == .uint8([10, 1, 200, 10, 1, 200, 10, 1, 200, 20, 2, 150, 30, 3, 100, 40, 4, 50, 40, 4, 50, 40, 4, 50]))
    }

    @Test func sixteenBitPalette() throws {
        let s = Self.palette(descriptor: [4, 0, 16], red: [0, 1000, 40000, 65535], green: [1, 2, 3, 4], blue: [5, 6, 7, 8])
        let image = try s.decode()
        let rgb: [UInt16] = [0, 1, 5, 1000, 2, 6, 40000, 3, 7, 65535, 4, 8] + [UInt16](repeating: 0, count: 12).enumerated()
            .map { [65535, 4, 8][$0.offset % 3] }
        #expect(image.pixels == .uint16(rgb))
        #expect(image.bitsStored == 16)
        #expect(try image.displayFrame(0)[3] == Float(1000.0 / 65535))
    }

    /// Discrete, linear (numpy's round half to even) and indirect segments.
    @Test func segmentedPalette() throws {
        let s = Self.palette(
            descriptor: [8, 0, 16],
            red: [0, 2, 10, 20, 1, 4, 40, 2, 1, 0, 0],  // 10 20, linear to 40 in 4, copy segment 0
            green: [0, 1, 0, 1, 4, 10, 0, 3, 7, 7, 7],  // 0, linear 2.5 5 7.5 10 -> 2 5 8 10, 7 7 7
            blue: [0, 8, 0, 0, 0, 0, 0, 0, 0, 0],
            segmented: true, indices: [0, 1, 2, 3, 4, 5, 6, 7, 8])
        let image = try s.decode()
        let r = [10, 20, 25, 30, 35, 40, 10, 20, 20], g = [0, 2, 5, 8, 10, 7, 7, 7, 7]
        #expect(image.pixels == .uint16((0..<27).map { UInt16($0 % 3 == 0 ? r[$0 / 3] : $0 % 3 == 1 ? g[$0 / 3] : 0) }))
    }

    @Test func segmentedLUTExpansion() throws {
        let tag = Tag.segmentedRedPaletteColorLookupTableData
        func expand(_ words: [Int]) throws(ImagingError) -> [Int] {
            var d = Data()
            for w in words { d.append(contentsOf: [UInt8(w & 0xFF), UInt8(w >> 8)]) }
            return try SegmentedLUT.expand(d, bits: 16, tag: tag)
        }
        #expect(try expand([0, 1, 100, 1, 3, 0]) == [100, 67, 33, 0])
        #expect(try expand([0, 1, 0, 1, 5, 7]) == [0, 1, 3, 4, 6, 7])
        // A trailing odd word is padding (pydicom ignores it).
        #expect(try expand([0, 2, 5, 6, 0]) == [5, 6])
        // Malformed: linear first, indirect first, unknown opcode, discrete past the end.
        for bad in [[1, 2, 5], [2, 1, 0, 0], [3, 1, 0], [0, 5, 1, 2]] {
            #expect(tagOf(imagingError { _ = try expand(bad) }) == tag, "\(bad)")
        }
    }

    /// Signed indices with a negative first mapped value (descriptor value 2 read as SS).
    @Test func signedIndicesWithNegativeFirstMappedValue() throws {
        var s = SyntheticDataSet(rows: 1, columns: 4, bitsAllocated: 16, signed: true, photometric: "PALETTE COLOR")
        s.pixelWords([-3, -2, -1, 5])
        for tag in [Tag.redPaletteColorLookupTableDescriptor, .greenPaletteColorLookupTableDescriptor,
                    .bluePaletteColorLookupTableDescriptor] {
            s.ss(tag, 3, -2, 16)
        }
        s.words(.redPaletteColorLookupTableData, .OW, [1, 2, 3])
        s.words(.greenPaletteColorLookupTableData, .OW, [4, 5, 6])
        s.words(.bluePaletteColorLookupTableData, .OW, [7, 8, 9])
        #expect(try s.decode().pixels == .uint16([1, 4, 7, 1, 4, 7, 2, 5, 8, 3, 6, 9]))
    }

    @Test func missingOrShortPaletteDataIsAnError() {
        var s = Self.palette(descriptor: [4, 0, 16], red: [1, 2, 3, 4], green: [1, 2, 3, 4], blue: [1, 2, 3, 4])
        s.remove(.greenPaletteColorLookupTableData)
        #expect(tagOf(imagingError { _ = try s.decode() }) == .greenPaletteColorLookupTableData)
        s = Self.palette(descriptor: [4, 0, 16], red: [1, 2, 3, 4], green: [1, 2, 3, 4], blue: [1])
        #expect(tagOf(imagingError { _ = try s.decode() }) == .bluePaletteColorLookupTableData)
        s = Self.palette(descriptor: [4, 0, 16], red: [1, 2, 3, 4], green: [1, 2, 3, 4], blue: [1, 2, 3, 4])
        s.remove(.redPaletteColorLookupTableDescriptor)
        #expect(tagOf(imagingError { _ = try s.decode() }) == .redPaletteColorLookupTableDescriptor)
        // A descriptor whose entry count reads negative as SS (32768 entries) is not a trap.
        s = Self.palette(descriptor: [4, 0, 16], red: [1, 2, 3, 4], green: [1, 2, 3, 4], blue: [1, 2, 3, 4])
        s.ss(.redPaletteColorLookupTableDescriptor, -32768, 0, 16)
        #expect(tagOf(imagingError { _ = try s.decode() }) == .redPaletteColorLookupTableData)
    }
}
