import DICOM
import Foundation
@testable import Imaging
import Testing
import TestSupport

/// Native (uncompressed) pixel data: sample types, unused high bits, sign extension, 1-bit packing,
/// planar configuration, lengths; expected values as pydicom 3.0.2's `pixel_array` gives them.
@Suite(.onComputeThreads) struct DICOMNativePixelTests {
    @Test func signedTwelveBitsAreSignExtendedIgnoringBitsAboveHighBit() throws {
        // 0x0800 is -2048 in 12 bits; 0xF001 has garbage above bit 11 and is +1.
        var s = SyntheticDataSet(rows: 1, columns: 6, bitsAllocated: 16, bitsStored: 12, signed: true)
        s.pixelWords([0x0800, 0x07FF, 0x0FFF, 0xF001, 0x1800, 0x0000])
        let image = try s.decode()
        guard case .int16(let a) = image.pixels else {
            Issue.record("signed 16-bit data must be int16, got \(image.pixels)")
            return
        }
        #expect(a == [-2048, 2047, -1, 1, -2048, 0])
        #expect(image.isSigned)
        #expect(image.bitsStored == 12)
    }

    @Test func unsignedValuesAreMaskedToBitsStored() throws {
        var s = SyntheticDataSet(rows: 1, columns: 3, bitsAllocated: 16, bitsStored: 12)
        s.pixelWords([0xF123, 0x0FFF, 0x1000])
        #expect(try s.decode().pixels == .uint16([0x123, 0xFFF, 0]))

        var eight = SyntheticDataSet(rows: 1, columns: 2, bitsAllocated: 8, bitsStored: 7)
        eight.pixelBytes([0xFF, 0x80])
        #expect(try eight.decode().pixels == .uint8([0x7F, 0]))
    }

    @Test func thirtyTwoBitSignedAndUnsigned() throws {
        var s = SyntheticDataSet(rows: 1, columns: 2, bitsAllocated: 32, bitsStored: 24, signed: true)
        // 0x00800000 is the most negative 24-bit value; 0xAB000005 has garbage above bit 23.
        s.pixelBytes([0x00, 0x00, 0x80, 0x00, 0x05, 0x00, 0x00, 0xAB])
        #expect(try s.decode().pixels == .int32([-8_388_608, 5]))

        var u = SyntheticDataSet(rows: 1, columns: 1, bitsAllocated: 32)
        u.pixelBytes([0x01, 0x02, 0x03, 0xF4])
        #expect(try u.decode().pixels == .uint32([0xF403_0201]))
    }

    /// 3 frames of 1 × 3 pixels: 9 bits, so frame 1 starts at bit 3 and frame 2 at bit 6, across a byte.
    @Test func oneBitFramesStartingMidByte() throws {
        var s = SyntheticDataSet(rows: 1, columns: 3, bitsAllocated: 1, frames: 3)
        // bits, least significant first: 1 0 1 | 1 1 0 | 0 0 1  -> 0b0001_1101, 0b0000_0001 (+ pad byte)
        s.pixelBytes([0x1D, 0x01])
        let image = try s.decode()
        #expect(image.pixels == .uint8([1, 0, 1, 1, 1, 0, 0, 0, 1]))
        #expect(ints(try image.storedFrame(1)) == [1, 1, 0])
        #expect(ints(try image.storedFrame(2)) == [0, 0, 1])

        var short = SyntheticDataSet(rows: 1, columns: 3, bitsAllocated: 1, frames: 3)
        short.pixelBytes([0x1D])
        guard case .pixelDataTooShort(2, 1) = imagingError({ _ = try short.decode() }) else {
            Issue.record("9 bits in one byte must be too short")
            return
        }
    }

    @Test func planarConfigurationOneIsInterleaved() throws {
        var s = SyntheticDataSet(rows: 1, columns: 2, bitsAllocated: 8, samplesPerPixel: 3, photometric: "RGB")
        s.us(.planarConfiguration, 1)
        s.pixelBytes([10, 11, 20, 21, 30, 31])  // R0 R1 G0 G1 B0 B1
        let image = try s.decode()
        #expect(image.pixels == .uint8([10, 20, 30, 11, 21, 31]))
        #expect(image.samplesPerPixel == 3)

        var words = SyntheticDataSet(rows: 1, columns: 2, bitsAllocated: 16, samplesPerPixel: 3, photometric: "RGB", frames: 2)
        words.us(.planarConfiguration, 1)
        words.pixelWords([1, 2, 3, 4, 5, 6, 100, 200, 300, 400, 500, 600])
        #expect(try words.decode().pixels == .uint16([1, 3, 5, 2, 4, 6, 100, 300, 500, 200, 400, 600]))
    }

    @Test func shortDataIsAnErrorExcessIsIgnored() throws {
        var s = SyntheticDataSet(rows: 2, columns: 2, bitsAllocated: 16)
        s.pixelBytes([1, 0, 2, 0, 3, 0, 4])
        guard case .pixelDataTooShort(8, 7) = imagingError({ _ = try s.decode() }) else {
            Issue.record("7 bytes for 4 16-bit samples must be too short")
            return
        }
        s.pixelBytes([1, 0, 2, 0, 3, 0, 4, 0, 9, 9])
        #expect(try s.decode().pixels == .uint16([1, 2, 3, 4]))
    }

    /// pydicom's `convert_color_space(arr, "YBR_FULL", "RGB")` on these triples (float32, round, clip).
    static let ybr: [UInt8] = [0, 0, 0, 255, 255, 255, 128, 128, 128, 76, 85, 255, 150, 44, 21, 29, 255, 107, 10, 200, 60, 255, 0, 255]
    static let rgb: [UInt8] = [0, 135, 0, 255, 121, 255, 128, 128, 128, 254, 0, 0, 0, 255, 1, 0, 0, 254, 0, 34, 138, 255, 208, 28]

    @Test func ybrFullBecomesRGBAsPydicom() throws {
        var s = SyntheticDataSet(rows: 2, columns: 4, bitsAllocated: 8, samplesPerPixel: 3, photometric: "YBR_FULL")
        s.pixelBytes(Self.ybr)
        let image = try s.decode()
        #expect(image.pixels == .uint8(Self.rgb))
        #expect(image.photometricInterpretation == "YBR_FULL")
        let display = try image.displayFrame(0)
        #expect(display[1] == Float(135) / 255)
    }

    /// YBR_FULL_422 uncompressed: Y0 Y1 Cb Cr for each pair of pixels, expanded then converted.
    @Test func ybrFull422IsExpandedThenConverted() throws {
        var s = SyntheticDataSet(rows: 1, columns: 4, bitsAllocated: 8, samplesPerPixel: 3, photometric: "YBR_FULL_422")
        s.pixelBytes([0, 255, 0, 0, 76, 150, 85, 255])
        let image = try s.decode()
        // (0,0,0) (255,0,0) -> ... pairs share chroma: (Y0,Cb,Cr), (Y1,Cb,Cr)
        var expected = SyntheticDataSet(rows: 1, columns: 4, bitsAllocated: 8, samplesPerPixel: 3, photometric: "YBR_FULL")
        expected.pixelBytes([0, 0, 0, 255, 0, 0, 76, 85, 255, 150, 85, 255])
        #expect(image.pixels == (try expected.decode()).pixels)
        #expect(image.pixels.count == 12)
    }
}
