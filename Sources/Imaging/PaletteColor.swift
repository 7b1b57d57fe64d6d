internal import DICOM
import Foundation

/// PALETTE COLOR lookup (PS3.3 C.7.9) as pydicom's `apply_color_lut`: three LUTs sharing one descriptor;
/// output type follows the stored entry width (uint8 or uint16).
struct PaletteColor {
    var channels: [LookupTable]
    /// Nominal bits per entry from the descriptor.
    var bits: Int

    init(_ ds: DataSet, signedInput: Bool) throws(ImagingError) {
        guard let d = ds.ints(.redPaletteColorLookupTableDescriptor), d.count == 3 else {
            throw .invalidPixelModule(tag: .redPaletteColorLookupTableDescriptor, reason: "palette descriptor needs 3 values")
        }
        let dataTags: [Tag] = [.redPaletteColorLookupTableData, .greenPaletteColorLookupTableData, .bluePaletteColorLookupTableData]
        let segmentedTags: [Tag] = [.segmentedRedPaletteColorLookupTableData, .segmentedGreenPaletteColorLookupTableData,
                                    .segmentedBluePaletteColorLookupTableData]
        var tables: [LookupTable] = []
        for (tag, segTag) in zip(dataTags, segmentedTags) {
            if let data = ds[tag]?.bytes {
                tables.append(try LookupTable(descriptor: d, data: data, signedInput: signedInput, what: "palette", tag: tag))
            } else if let seg = ds[segTag]?.bytes {
                let expanded = try SegmentedLUT.expand(seg, bits: d[2], tag: segTag)
                var bytes = Data(capacity: expanded.count * 2)
                for v in expanded { bytes.append(contentsOf: [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)]) }
                var desc = d
                desc[0] = expanded.count
                tables.append(try LookupTable(descriptor: desc, data: bytes, signedInput: signedInput, what: "palette", tag: segTag))
            } else {
                throw .invalidPixelModule(tag: tag, reason: "palette LUT data is missing")
            }
        }
        channels = tables
        bits = d[2]
    }

    /// Maps one-sample indices to interleaved RGB; returns the pixels and the bits of an entry.
    func apply(_ indices: PixelBuffer) throws(ImagingError) -> (PixelBuffer, Int) {
        let n = indices.count
        let wide = channels.contains { $0.entryBytes == 2 }
        func lookup(_ x: Int, _ c: Int) -> Int { channels[c].map(x) }
        var idx = [Int](repeating: 0, count: n)
        switch indices {
        case .uint8(let a): for i in 0..<n { idx[i] = Int(a[i]) }
        case .uint16(let a): for i in 0..<n { idx[i] = Int(a[i]) }
        case .int16(let a): for i in 0..<n { idx[i] = Int(a[i]) }
        case .int32(let a): for i in 0..<n { idx[i] = Int(a[i]) }
        case .uint32(let a): for i in 0..<n { idx[i] = Int(a[i]) }
        }
        if wide {
            var out = [UInt16](repeating: 0, count: n * 3)
            for i in 0..<n { for c in 0..<3 { out[i * 3 + c] = UInt16(truncatingIfNeeded: lookup(idx[i], c)) } }
            return (.uint16(out), bits)
        }
        var out = [UInt8](repeating: 0, count: n * 3)
        for i in 0..<n { for c in 0..<3 { out[i * 3 + c] = UInt8(truncatingIfNeeded: lookup(idx[i], c)) } }
        return (.uint8(out), bits)
    }
}

/// Segmented palette LUT data (PS3.3 C.7.9.2): discrete, linear and indirect segments of 16-bit words.
enum SegmentedLUT {
    static func expand(_ data: Data, bits: Int, tag: Tag, depth: Int = 0) throws(ImagingError) -> [Int] {
        let bytes = [UInt8](data)
        let words = stride(from: 0, to: bytes.count - 1, by: 2).map { Int(bytes[$0]) | Int(bytes[$0 + 1]) << 8 }
        return try expand(words: words, tag: tag, maxSegments: Int.max, previous: nil)
    }

    private static func expand(words: [Int], tag: Tag, maxSegments: Int, previous: Int?) throws(ImagingError) -> [Int] {
        var lut: [Int] = []
        var i = 0
        var segments = 0
        while i + 1 < words.count && segments < maxSegments {
            let opcode = words[i], length = words[i + 1]
            i += 2
            segments += 1
            switch opcode {
            case 0:
                guard i + length <= words.count else { throw bad(tag, "discrete segment past the end") }
                lut += words[i..<(i + length)]
                i += length
            case 1:
                guard i < words.count, let y0 = lut.last ?? previous else { throw bad(tag, "linear segment without a start") }
                let y1 = words[i]
                i += 1
                if y0 == y1 || length == 0 {
                    lut += [Int](repeating: y1, count: length)
                } else {
                    // numpy: around(linspace(y0 + step, y1, length)), round half to even
                    let step = Double(y1 - y0) / Double(length)
                    let start = Double(y0) + step
                    for k in 0..<length {
                        let v = length == 1 ? Double(y1) : start + (Double(y1) - start) * Double(k) / Double(length - 1)
                        lut.append(Int(v.rounded(.toNearestOrEven)))
                    }
                }
            case 2:
                guard !lut.isEmpty, i + 1 < words.count else { throw bad(tag, "indirect segment without a start") }
                let offset = (words[i + 1] << 16 | words[i]) / 2
                i += 2
                guard offset < i - 4, offset >= 0 else { throw bad(tag, "indirect segment offset \(offset * 2) out of range") }
                lut += try expand(words: Array(words[offset...]), tag: tag, maxSegments: length, previous: lut.last)
            default:
                throw bad(tag, "unknown segment opcode \(opcode)")
            }
            if lut.count > 65536 { throw bad(tag, "more than 65536 entries") }
        }
        return lut
    }

    private static func bad(_ tag: Tag, _ reason: String) -> ImagingError {
        .invalidPixelModule(tag: tag, reason: "segmented palette: \(reason)")
    }
}
