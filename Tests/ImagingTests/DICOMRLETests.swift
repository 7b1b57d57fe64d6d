import DICOM
import Foundation
@testable import Imaging
import Testing
import TestSupport

/// RLE Lossless (PS3.5 Annex G) on hand-made frames.
@Suite(.onComputeThreads) struct DICOMRLETests {
    /// A 64-byte header for `segments` followed by the segments.
    static func frame(_ segments: [[UInt8]]) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 64)
        func put(_ v: Int, at i: Int) { for k in 0..<4 { header[i + k] = UInt8((v >> (8 * k)) & 0xFF) } }
        put(segments.count, at: 0)
        var offset = 64
        for (i, s) in segments.enumerated() {
            put(offset, at: 4 + 4 * i)
            offset += s.count
        }
        return header + segments.flatMap { $0 }
    }

    static func decode(_ bytes: [UInt8], pixels: Int, samples: Int = 1, bytesPerSample: Int = 1)
        throws(ImagingError) -> [UInt8]
    {
        try RLEDecoder.decodeFrame(Data(bytes), pixelCount: pixels, samplesPerPixel: samples,
                                   bytesPerSample: bytesPerSample, frame: 0)
    }

    @Test func packBitsLiteralReplicateAndNoOp() throws {
        // literal of 3 (n = 2), no-op (-128), replicate 9 three times (n = -2), literal of 1
        let segment: [UInt8] = [0x02, 1, 2, 3, 0x80, 0xFE, 9, 0x00, 7]
        #expect(try Self.decode(Self.frame([segment]), pixels: 7) == [1, 2, 3, 9, 9, 9, 7])
        // Longest replicate run (n = -127 -> 128 bytes) and longest literal run (n = 127 -> 128 bytes).
        let long: [UInt8] = [0x81, 5, 0x7F] + (0..<128).map { UInt8($0) }
        #expect(try Self.decode(Self.frame([long]), pixels: 256) == [UInt8](repeating: 5, count: 128) + (0..<128).map { UInt8($0) })
    }

    @Test func sixteenBitSegmentsAreMostSignificantByteFirst() throws {
        // segment 0: high bytes, segment 1: low bytes -> little-endian samples 0x0103, 0x0204
        let bytes = try Self.decode(Self.frame([[0x01, 0x01, 0x02], [0x01, 0x03, 0x04]]), pixels: 2, bytesPerSample: 2)
        #expect(bytes == [0x03, 0x01, 0x04, 0x02])
    }

    @Test func colourSegmentsAreInterleaved() throws {
        let r: [UInt8] = [0xFF, 10], g: [UInt8] = [0x01, 20, 21], b: [UInt8] = [0x00, 30, 0x00, 31]
        #expect(try Self.decode(Self.frame([r, g, b]), pixels: 2, samples: 3) == [10, 20, 30, 10, 21, 31])
    }

    @Test func extraDecodedBytesAreIgnoredMissingOnesAreAnError() throws {
        #expect(try Self.decode(Self.frame([[0xFC, 4]]), pixels: 3) == [4, 4, 4])
        #expect(Self.failure(Self.frame([[0x01, 4, 5]]), pixels: 3)?.contains("decodes to 2 bytes, expected 3") == true)
    }

    @Test func malformedFramesGiveTypedErrors() {
        #expect(Self.failure([UInt8](repeating: 0, count: 10), pixels: 1)?.contains("64 bytes") == true)
        // Header says 2 segments for 8-bit grayscale.
        #expect(Self.failure(Self.frame([[0x00, 1], [0x00, 1]]), pixels: 1)?.contains("2 segments, expected 1") == true)
        // Segment offset inside the header, and past the end.
        var inHeader = Self.frame([[0x00, 1]])
        inHeader[4] = 10
        #expect(Self.failure(inHeader, pixels: 1)?.contains("offset 10 out of range") == true)
        var pastEnd = Self.frame([[0x00, 1]])
        pastEnd[4] = 200
        #expect(Self.failure(pastEnd, pixels: 1)?.contains("out of range") == true)
        // Offsets out of order (segment 1 before segment 0).
        var backwards = Self.frame([[0x00, 1], [0x00, 2]])
        backwards[4] = 66
        backwards[8] = 64
        #expect(Self.failure(backwards, pixels: 1, bytesPerSample: 2)?.contains("out of range") == true)
        // A literal run longer than the segment, a replicate run without its byte.
        #expect(Self.failure(Self.frame([[0x05, 1, 2]]), pixels: 6)?.contains("literal run past its end") == true)
        #expect(Self.failure(Self.frame([[0xFE]]), pixels: 3)?.contains("replicate run past its end") == true)
    }

    static func failure(_ bytes: [UInt8], pixels: Int, bytesPerSample: Int = 1) -> String? {
        switch imagingError({ _ = try decode(bytes, pixels: pixels, bytesPerSample: bytesPerSample) }) {
        case .frameDecodeFailed(0, let reason)?: return reason
        case let other?:
            Issue.record("expected frameDecodeFailed, got \(other)")
            return nil
        case nil:
            Issue.record("malformed RLE frame decoded")
            return nil
        }
    }

    /// Through the decoder: two frames, one fragment each, 16-bit signed with 12 bits stored.
    @Test func multiFrameSignedRLEDataSet() throws {
        var s = SyntheticDataSet(rows: 1, columns: 2, bitsAllocated: 16, bitsStored: 12, signed: true, frames: 2)
        // frame 0: 0x0800 (-2048), 0x07FF; frame 1: 0xFFFF (-1), 0xF005 (+5 after ignoring the high bits)
        s.encapsulated([
            Self.frame([[0x01, 0x08, 0x07], [0x01, 0x00, 0xFF]]),
            Self.frame([[0x01, 0xFF, 0xF0], [0x01, 0xFF, 0x05]]),
        ])
        let image = try s.decode(.rleLossless)
        #expect(image.pixels == .int16([-2048, 2047, -1, 5]))
        #expect(ints(try image.storedFrame(1)) == [-1, 5])
    }

    @Test func brokenFrameIsReportedWithItsIndex() {
        var s = SyntheticDataSet(rows: 1, columns: 2, bitsAllocated: 8, frames: 2)
        s.encapsulated([Self.frame([[0x01, 1, 2]]), Self.frame([[0x00, 1]])])
        guard case .frameDecodeFailed(1, _) = imagingError({ _ = try s.decode(.rleLossless) }) else {
            Issue.record("expected frame 1 to fail")
            return
        }
    }

    /// RLE YBR_FULL is converted to RGB like uncompressed YBR_FULL.
    @Test func ybrFullRLEBecomesRGB() throws {
        var s = SyntheticDataSet(rows: 1, columns: 1, bitsAllocated: 8, samplesPerPixel: 3, photometric: "YBR_FULL")
        s.encapsulated([Self.frame([[0x00, 76], [0x00, 85], [0x00, 255]])])
        #expect(try s.decode(.rleLossless).pixels == .uint8([254, 0, 0]))
    }
}
