import Foundation

/// RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, one PackBits segment per byte plane,
/// most significant byte first, one plane set per sample.
enum RLEDecoder {
    /// Decodes one frame into `pixels` (interleaved samples, little-endian bytes of `bytesPerSample`).
    /// frame: [rows*columns] pixels × samplesPerPixel samples × bytesPerSample bytes
    static func decodeFrame(_ data: Data, pixelCount: Int, samplesPerPixel: Int, bytesPerSample: Int, frame: Int)
        throws(ImagingError) -> [UInt8]
    {
        let bytes = [UInt8](data)
        guard bytes.count >= 64 else {
            throw .frameDecodeFailed(frame: frame, reason: "RLE header needs 64 bytes, has \(bytes.count)")
        }
        func u32(_ i: Int) -> Int {
            Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24
        }
        let segments = u32(0)
        let expected = samplesPerPixel * bytesPerSample
        guard segments == expected else {
            throw .frameDecodeFailed(frame: frame, reason: "RLE header has \(segments) segments, expected \(expected)")
        }
        var offsets = (0..<segments).map { u32(4 + 4 * $0) }
        offsets.append(bytes.count)
        var out = [UInt8](repeating: 0, count: pixelCount * expected)
        for s in 0..<segments {
            let start = offsets[s], end = offsets[s + 1]
            guard start >= 64, start <= end, end <= bytes.count else {
                throw .frameDecodeFailed(frame: frame, reason: "RLE segment \(s) offset \(start) out of range")
            }
            // Segment s holds byte (bytesPerSample - 1 - s % bytesPerSample) of sample s / bytesPerSample.
            let sample = s / bytesPerSample
            let byteInSample = bytesPerSample - 1 - s % bytesPerSample
            let stride = expected
            var o = sample * bytesPerSample + byteInSample
            var written = 0
            var i = start
            while i < end && written < pixelCount {
                let n = Int(Int8(bitPattern: bytes[i]))
                i += 1
                if n >= 0 {
                    let count = n + 1
                    guard i + count <= end else {
                        throw .frameDecodeFailed(frame: frame, reason: "RLE segment \(s): literal run past its end")
                    }
                    for k in 0..<min(count, pixelCount - written) {
                        out[o] = bytes[i + k]
                        o += stride
                    }
                    written += min(count, pixelCount - written)
                    i += count
                } else if n != -128 {
                    guard i < end else {
                        throw .frameDecodeFailed(frame: frame, reason: "RLE segment \(s): replicate run past its end")
                    }
                    let value = bytes[i]
                    i += 1
                    let count = min(1 - n, pixelCount - written)
                    for _ in 0..<count {
                        out[o] = value
                        o += stride
                    }
                    written += count
                }
            }
            guard written == pixelCount else {
                throw .frameDecodeFailed(frame: frame, reason: "RLE segment \(s) decodes to \(written) bytes, expected \(pixelCount)")
            }
        }
        return out
    }
}
