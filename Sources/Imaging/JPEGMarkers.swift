import Foundation

/// What the markers before the first scan say about a JPEG stream (bounds-checked walk over the segments).
struct JPEGMarkers {
    /// An Adobe APP14 segment with its colour transform byte is present. A shorter one is ignored, as
    /// Pillow (and so pydicom) and libjpeg ignore it.
    var hasAdobe = false
    /// Sample precision from the SOF segment (8 or 12), nil if no SOF was found.
    var precision: Int?
    /// The SOF marker byte (0xC0 baseline, 0xC1 extended, 0xC2 progressive, 0xC3 lossless, ...).
    var frameMarker: UInt8?

    init(_ data: Data) {
        let b = [UInt8](data.prefix(1 << 20))
        var i = 2
        while i + 4 <= b.count, b[i] == 0xFF {
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2, i + 2 + length <= b.count else { break }
            let payload = b[(i + 4)..<(i + 2 + length)]
            if marker == 0xEE, payload.count >= 12, payload.starts(with: Array("Adobe".utf8)) { hasAdobe = true }
            if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker), let p = payload.first {
                precision = Int(p)
                frameMarker = marker
            }
            if marker == 0xDA { break }  // start of scan: the header is over
            i += 2 + length
        }
    }

    /// A reason this stream cannot be decoded by an 8-bit DCT decoder, or nil.
    var unsupportedReason: String? {
        if frameMarker == 0xC3 || frameMarker == 0xC7 || frameMarker == 0xCB || frameMarker == 0xCF {
            return "lossless JPEG (process 14) is not supported"
        }
        if let p = precision, p != 8 { return "\(p)-bit JPEG is not supported (8-bit only)" }
        return nil
    }
}
