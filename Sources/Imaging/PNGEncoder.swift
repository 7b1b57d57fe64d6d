internal import CImageCodecs
public import Foundation

/// PNG encoding through libpng (the C shim `mi_png_encode`; libpng's longjmp never reaches Swift).
///
/// Input is `height` rows of `width` pixels, row-major, samples interleaved, no row padding:
/// `channels` 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. `bitDepth` 8 takes one byte per sample; 16 takes
/// two bytes per sample in host order (the layout of a `[UInt16]`, and of what `PNGDecoder` returns).
/// The file is not interlaced and carries no gamma or other ancillary chunks, so decoders return the
/// samples unchanged.
public enum PNGEncoder {
    /// Largest width or height (PNG allows 2³¹−1; we keep images to what the rest of MedInfer accepts).
    public static let maxDimension = 65_535

    /// Encodes 8-bit (one byte per sample) or 16-bit (two host-order bytes per sample) pixels.
    /// - Throws: `.invalidArgument` for a size outside 1...65535, channels outside 1...4, a bit depth other
    ///   than 8 or 16, a compression level outside 0...9 or a buffer whose length is not exactly
    ///   width × height × channels × bitDepth / 8; `.encodeFailed` if libpng fails.
    public static func encode(width: Int, height: Int, channels: Int, bitDepth: Int = 8, pixels: [UInt8],
                              compressionLevel: Int = 6) throws(ImagingError) -> Data {
        // withUnsafeBytes rethrows untyped errors: carry the typed one out in a Result.
        let result = pixels.withUnsafeBytes { raw in
            Result { () throws(ImagingError) -> Data in
                try encode(width: width, height: height, channels: channels, bitDepth: bitDepth, bytes: raw,
                           compressionLevel: compressionLevel)
            }
        }
        return try result.get()
    }

    /// Encodes 16-bit samples (a separate label, so an array literal never silently picks 16 bits).
    public static func encode(width: Int, height: Int, channels: Int, samples16 pixels: [UInt16],
                              compressionLevel: Int = 6) throws(ImagingError) -> Data {
        // withUnsafeBytes rethrows untyped errors: carry the typed one out in a Result.
        let result = pixels.withUnsafeBytes { raw in
            Result { () throws(ImagingError) -> Data in
                try encode(width: width, height: height, channels: channels, bitDepth: 16, bytes: raw,
                           compressionLevel: compressionLevel)
            }
        }
        return try result.get()
    }

    /// Encodes raw bytes laid out as described on the type.
    public static func encode(width: Int, height: Int, channels: Int, bitDepth: Int = 8,
                              bytes: UnsafeRawBufferPointer, compressionLevel: Int = 6) throws(ImagingError) -> Data {
        try validate(width: width, height: height, channels: channels, bitDepth: bitDepth, byteCount: bytes.count,
                     compressionLevel: compressionLevel)
        var message = [CChar](repeating: 0, count: 512)
        var out: UnsafeMutablePointer<UInt8>? = nil
        var outLength = 0
        let status = message.withUnsafeMutableBufferPointer { m in
            mi_png_encode(bytes.baseAddress, bytes.count, Int32(width), Int32(height), Int32(channels),
                          Int32(bitDepth), Int32(compressionLevel), &out, &outLength, m.baseAddress, m.count)
        }
        defer { mi_png_free(out) }
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard status == MI_OK, let out else {
            if status == MI_ERR_ARGUMENT { throw .invalidArgument(what: "PNG encoder input", reason: text) }
            throw .encodeFailed(format: .png, message: text.isEmpty ? "status \(status)" : text)
        }
        return Data(bytes: out, count: outLength)
    }

    static func validate(width: Int, height: Int, channels: Int, bitDepth: Int, byteCount: Int,
                         compressionLevel: Int) throws(ImagingError) {
        func bad(_ what: String, _ reason: String) -> ImagingError { .invalidArgument(what: what, reason: reason) }
        guard (1...maxDimension).contains(width) else { throw bad("width", "\(width) is outside 1...\(maxDimension)") }
        guard (1...maxDimension).contains(height) else { throw bad("height", "\(height) is outside 1...\(maxDimension)") }
        guard (1...4).contains(channels) else {
            throw bad("channels", "\(channels); expected 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA)")
        }
        guard bitDepth == 8 || bitDepth == 16 else { throw bad("bit depth", "\(bitDepth); expected 8 or 16") }
        guard (0...9).contains(compressionLevel) else {
            throw bad("compression level", "\(compressionLevel); expected 0...9")
        }
        // At most 65535 × 65535 × 4 × 2 bytes: no overflow on 64-bit Int.
        let needed = width * height * channels * (bitDepth / 8)
        guard byteCount == needed else {
            throw bad("pixel buffer length",
                      "\(byteCount) bytes, but \(width)×\(height)×\(channels) at \(bitDepth) bits needs \(needed)")
        }
    }
}
