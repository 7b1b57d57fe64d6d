import Foundation
@testable import Imaging
import TestSupport
import Testing

/// PNG encoding through libpng, checked by decoding with `PNGDecoder` (which drops alpha) and, for the
/// alpha channel, with a minimal independent reader of stored-block (level 0) zlib streams.
@Suite(.onComputeThreads) struct PNGEncoderTests {
    static func randomBytes(_ n: Int, seed: UInt64) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func decode(_ png: Data) throws -> DecodedImage { try PNGDecoder().decode(png, limits: .default) }

    /// Every `channels`-th sample starting at `offset`.
    static func strided<T>(_ a: [T], _ channels: Int, keep: Range<Int>) -> [T] {
        var out: [T] = []
        for i in stride(from: 0, to: a.count, by: channels) { out += a[(i + keep.lowerBound)..<(i + keep.upperBound)] }
        return out
    }

    @Test(arguments: [(1, 1), (37, 23), (64, 64), (1, 100), (100, 1)])
    func gray8RoundTrip(width: Int, height: Int) throws {
        let pixels = Self.randomBytes(width * height, seed: UInt64(width * 1000 + height))
        let png = try PNGEncoder.encode(width: width, height: height, channels: 1, pixels: pixels)
        let image = try Self.decode(png)
        #expect(image.columns == width && image.rows == height && image.samplesPerPixel == 1 && image.bitsStored == 8)
        #expect(image.pixels == .uint8(pixels))
        #expect(image.sourceFacts.contains { $0 == ("colour type", "gray") })
    }

    @Test func gray16RoundTrip() throws {
        var rng = SeededGenerator(seed: 16)
        let (w, h) = (41, 29)
        var samples = (0..<(w * h)).map { _ in UInt16.random(in: 0...UInt16.max, using: &rng) }
        samples[0] = 0x0102  // byte order: a swap would read 0x0201
        samples[1] = 0xFFFF
        let png = try PNGEncoder.encode(width: w, height: h, channels: 1, samples16: samples)
        let image = try Self.decode(png)
        #expect(image.bitsStored == 16 && image.samplesPerPixel == 1)
        #expect(image.pixels == .uint16(samples))
        // The same through the byte API (host order).
        let bytes = samples.withUnsafeBytes { Array($0) }
        let png2 = try PNGEncoder.encode(width: w, height: h, channels: 1, bitDepth: 16, pixels: bytes)
        #expect(try Self.decode(png2).pixels == .uint16(samples))
        // Big-endian in the file, as PNG requires: the first IDAT sample is 0x01 0x02.
        let raw = try StoredPNG.samples(try PNGEncoder.encode(width: w, height: h, channels: 1, samples16: samples,
                                                              compressionLevel: 0))
        #expect(Array(raw.prefix(4)) == [0x01, 0x02, 0xFF, 0xFF])
    }

    @Test func rgbRoundTrip() throws {
        let (w, h) = (33, 17)
        let pixels = Self.randomBytes(w * h * 3, seed: 3)
        let image = try Self.decode(try PNGEncoder.encode(width: w, height: h, channels: 3, pixels: pixels))
        #expect(image.samplesPerPixel == 3 && image.bitsStored == 8)
        #expect(image.pixels == .uint8(pixels))
    }

    @Test func rgbaRoundTrip() throws {
        let (w, h) = (19, 31)
        let pixels = Self.randomBytes(w * h * 4, seed: 4)
        let png = try PNGEncoder.encode(width: w, height: h, channels: 4, pixels: pixels)
        let image = try Self.decode(png)
        #expect(image.sourceFacts.contains { $0 == ("colour type", "RGBA") })
        // PNGDecoder drops alpha without compositing: the colour samples come back exactly.
        #expect(image.pixels == .uint8(Self.strided(pixels, 4, keep: 0..<3)))
        // All four channels, alpha included, from an uncompressed encoding read by our own reader.
        let stored = try PNGEncoder.encode(width: w, height: h, channels: 4, pixels: pixels, compressionLevel: 0)
        #expect(try StoredPNG.samples(stored) == pixels)
    }

    @Test func grayAlphaRoundTrip() throws {
        let (w, h) = (23, 11)
        let pixels = Self.randomBytes(w * h * 2, seed: 2)
        let image = try Self.decode(try PNGEncoder.encode(width: w, height: h, channels: 2, pixels: pixels))
        #expect(image.pixels == .uint8(Self.strided(pixels, 2, keep: 0..<1)))
        let stored = try PNGEncoder.encode(width: w, height: h, channels: 2, pixels: pixels, compressionLevel: 0)
        #expect(try StoredPNG.samples(stored) == pixels)
    }

    @Test func largeImageGrowsTheBuffer() throws {
        // Incompressible 512×512 RGB: ~786 KB of output, many reallocations of the growable buffer.
        let pixels = Self.randomBytes(512 * 512 * 3, seed: 99)
        let png = try PNGEncoder.encode(width: 512, height: 512, channels: 3, pixels: pixels)
        #expect(png.count > pixels.count)
        #expect(try Self.decode(png).pixels == .uint8(pixels))
    }

    static func argumentError(_ body: () throws -> Void) -> (what: String, reason: String)? {
        guard case .invalidArgument(let what, let reason)? = imagingError(body) else { return nil }
        return (what, reason)
    }

    @Test func badSizesAndLengthsAreTypedErrors() {
        let ok = [UInt8](repeating: 0, count: 4)
        #expect(Self.argumentError { _ = try PNGEncoder.encode(width: 0, height: 4, channels: 1, pixels: []) }?.what == "width")
        #expect(Self.argumentError { _ = try PNGEncoder.encode(width: 4, height: 0, channels: 1, pixels: []) }?.what == "height")
        #expect(Self.argumentError { _ = try PNGEncoder.encode(width: -1, height: 4, channels: 1, pixels: ok) }?.what == "width")
        #expect(Self.argumentError { _ = try PNGEncoder.encode(width: 65_536, height: 1, channels: 1, pixels: ok) }?.what == "width")
        #expect(Self.argumentError { _ = try PNGEncoder.encode(width: 1, height: 70_000, channels: 1, pixels: ok) }?.what == "height")
        #expect(Self.argumentError { _ = try PNGEncoder.encode(width: 2, height: 2, channels: 5, pixels: ok) }?.what == "channels")
        #expect(Self.argumentError { _ = try PNGEncoder.encode(width: 2, height: 2, channels: 0, pixels: ok) }?.what == "channels")
        #expect(Self.argumentError { _ = try PNGEncoder.encode(width: 2, height: 2, channels: 1, bitDepth: 12, pixels: ok) }?.what == "bit depth")
        #expect(Self.argumentError { _ = try PNGEncoder.encode(width: 2, height: 2, channels: 1, pixels: ok, compressionLevel: 10) }?.what == "compression level")
        // Buffer one byte short, one byte long, and 8-bit-sized for 16-bit.
        let short = Self.argumentError { _ = try PNGEncoder.encode(width: 2, height: 2, channels: 1, pixels: [0, 0, 0]) }
        #expect(short?.what == "pixel buffer length")
        #expect(short?.reason.hasSuffix("needs 4") == true, "\(String(describing: short))")
        #expect(Self.argumentError { _ = try PNGEncoder.encode(width: 2, height: 2, channels: 1, pixels: ok + [0]) }?.what == "pixel buffer length")
        #expect(Self.argumentError { _ = try PNGEncoder.encode(width: 2, height: 2, channels: 1, bitDepth: 16, pixels: ok) }?.what == "pixel buffer length")
        #expect(Self.argumentError { _ = try PNGEncoder.encode(width: 2, height: 2, channels: 3, samples16: [UInt16](repeating: 0, count: 4)) }?.what == "pixel buffer length")
        // The largest size is accepted (validation only: a 65535×1 gray row).
        #expect((try? PNGEncoder.encode(width: 65_535, height: 1, channels: 1, pixels: [UInt8](repeating: 7, count: 65_535))) != nil)
    }
}

/// Reads a PNG written with compression level 0: IDAT holds a zlib stream of stored blocks, which
/// this concatenates and then unfilters (all five PNG filter types). 8-bit or 16-bit, not interlaced.
enum StoredPNG {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func samples(_ png: Data) throws -> [UInt8] {
        let b = [UInt8](png)
        func u32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        var i = 8, width = 0, height = 0, bitDepth = 0, colourType = 0
        var idat: [UInt8] = []
        while i + 8 <= b.count {
            let length = u32(i), type = String(decoding: b[(i + 4)..<(i + 8)], as: UTF8.self)
            let body = Array(b[(i + 8)..<(i + 8 + length)])
            if type == "IHDR" {
                width = u32(i + 8); height = u32(i + 12); bitDepth = Int(body[8]); colourType = Int(body[9])
            } else if type == "IDAT" {
                idat += body
            }
            i += 12 + length
        }
        let channels = [0: 1, 4: 2, 2: 3, 6: 4][colourType] ?? 0
        let bpp = channels * bitDepth / 8, stride = width * bpp
        // zlib: 2-byte header, then stored blocks (BTYPE 00): header byte, LEN, NLEN, bytes.
        var raw: [UInt8] = [], p = 2, final = false
        while !final {
            guard p + 5 <= idat.count else { throw Failure(description: "truncated zlib stream") }
            guard idat[p] & 0x06 == 0 else { throw Failure(description: "not a stored block") }
            final = idat[p] & 1 == 1
            let len = Int(idat[p + 1]) | Int(idat[p + 2]) << 8
            raw += idat[(p + 5)..<(p + 5 + len)]
            p += 5 + len
        }
        guard raw.count == height * (stride + 1) else { throw Failure(description: "\(raw.count) filtered bytes") }
        var out = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            for x in 0..<stride {
                let v = raw[y * (stride + 1) + 1 + x]
                let a = x >= bpp ? Int(out[y * stride + x - bpp]) : 0
                let up = y > 0 ? Int(out[(y - 1) * stride + x]) : 0
                let c = x >= bpp && y > 0 ? Int(out[(y - 1) * stride + x - bpp]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = up
                case 3: predictor = (a + up) / 2
                case 4:
                    let pp = a + up - c, pa = abs(pp - a), pb = abs(pp - up), pc = abs(pp - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? up : c)
                default: throw Failure(description: "filter \(filter)")
                }
                out[y * stride + x] = UInt8(truncatingIfNeeded: Int(v) + predictor)
            }
        }
        return out
    }
}
