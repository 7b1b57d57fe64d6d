public import Foundation

/// Specific Character Set (0008,0005): how text VRs LO, LT, PN, SH, ST, UC and UT are decoded.
///
/// Decodes as pydicom 3.0.2 does: no value (ISO_IR 6) is read as Latin-1 (lenient), ISO_IR 100
/// Latin-1, ISO_IR 101/109/110/144/127/126/138/148/166 through tables generated from Python's
/// codecs, ISO_IR 192 UTF-8, GB18030/GBK, and ISO 2022 code extensions (escape sequences) for the
/// single-byte sets, JIS X 0201/0208/0212, KS X 1001 and GB 2312. Unknown terms fall back to
/// Latin-1; undecodable bytes become U+FFFD. Decoding never fails.
public struct SpecificCharacterSet: Sendable, Equatable {
    /// The defined terms as written, e.g. ["ISO_IR 192"] or ["", "ISO 2022 IR 87"].
    public var terms: [String]
    public init(terms: [String]) { self.terms = terms }
    public static let `default` = SpecificCharacterSet(terms: [])

    /// Parses the raw (0008,0005) value: backslash-separated terms, padding trimmed.
    public init(value: Data) {
        let text = String(decoding: value, as: UTF8.self)
        var parsed = text.split(separator: "\\", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \0")) }
        if parsed == [""] { parsed = [] }
        terms = parsed
    }

    /// Decodes a text value with the delimiters of LO/SH/LT/ST/UT/UC (CR, LF, TAB, FF reset code
    /// extensions to the first character set).
    public func decode(_ data: Data) -> String {
        Self.decode([UInt8](data), codecs: codecs, delimiters: Self.textDelimiters)
    }

    /// Decodes a value of `vr` as pydicom does: multi-valued VRs are split on backslash bytes
    /// and each value decoded on its own; PN components ('=') are decoded separately with '^'
    /// resetting code extensions; other VRs reset at CR, LF, TAB and FF.
    public func decode(_ data: Data, vr: VR) -> String {
        let bytes = [UInt8](data)
        let codecs = self.codecs
        // GB18030 and GBK use 0x5C as a trail byte: split after decoding instead.
        if codecs.first == .gb18030 {
            let text = Self.decode(bytes, codecs: codecs, delimiters: Self.textDelimiters)
            guard vr == .PN else { return text }
            return text.split(separator: "\\", omittingEmptySubsequences: false).map { value in
                var v = value
                while let last = v.last, last == " " || last == "\0" || last == "=" { v = v.dropLast() }
                return String(v)
            }.joined(separator: "\\")
        }
        switch vr {
        case .PN:
            return bytes.split(separator: 0x5C, omittingEmptySubsequences: false).map { value in
                // Trailing empty component groups are insignificant (pydicom drops them).
                var v = value[...]
                while let last = v.last, last == 0x20 || last == 0x00 { v = v.dropLast() }
                var components = v.split(separator: 0x3D, omittingEmptySubsequences: false)
                while components.count > 1, components.last?.isEmpty == true { components.removeLast() }
                return components.map { component in
                    Self.decode(Array(component), codecs: codecs, delimiters: [0x5E])
                }.joined(separator: "=")
            }.joined(separator: "\\")
        case .LO, .SH, .UC:
            return bytes.split(separator: 0x5C, omittingEmptySubsequences: false).map {
                Self.decode(Array($0), codecs: codecs, delimiters: Self.textDelimiters)
            }.joined(separator: "\\")
        default:
            return Self.decode(bytes, codecs: codecs, delimiters: Self.textDelimiters)
        }
    }

    static let textDelimiters: Set<UInt8> = [0x0D, 0x0A, 0x09, 0x0C]

    // MARK: Codecs

    enum Codec: Sendable, Equatable {
        case latin1, utf8, shiftJIS, iso2022JP, iso2022JP2, eucKR, gb2312, gb18030
        case table(Int)  // index into `highTables`
    }

    static let highTables: [[UInt16]] = [latin2High, latin3High, latin4High, cyrillicHigh, arabicHigh, greekHigh,
                                         hebrewHigh, latin5High, thaiHigh]

    /// pydicom `python_encoding`, keyed by the part after "ISO_IR " / "ISO 2022 IR ".
    static func codec(irNumber: String) -> Codec? {
        switch irNumber {
        case "6", "100": return .latin1
        case "101": return .table(0)
        case "109": return .table(1)
        case "110": return .table(2)
        case "144": return .table(3)
        case "127": return .table(4)
        case "126": return .table(5)
        case "138": return .table(6)
        case "148": return .table(7)
        case "166": return .table(8)
        case "13": return .shiftJIS
        default: return nil
        }
    }

    static func codec(forTerm raw: String) -> Codec {
        var term = raw
        // pydicom's spelling fixes: "ISO IR 100", "ISO-IR 100" -> "ISO_IR 100"; "ISO-2022-IR 87" -> "ISO 2022 IR 87".
        if term.hasPrefix("ISO"), term.count > 6, !term.hasPrefix("ISO_IR"), !term.hasPrefix("ISO 2022"),
           term.dropFirst(4).hasPrefix("IR") {
            term = "ISO_IR" + term.dropFirst(6)
        } else if term.hasPrefix("ISO"), term.count > 12, !term.hasPrefix("ISO 2022 IR "),
                  term.dropFirst(4).hasPrefix("2022"), term.dropFirst(9).hasPrefix("IR") {
            term = "ISO 2022 IR " + term.dropFirst(12)
        }
        switch term {
        case "", "ISO_IR 6", "ISO 2022 IR 6": return .latin1
        case "ISO_IR 192": return .utf8
        case "GB18030", "GBK", "ISO 2022 GBK": return .gb18030
        case "ISO 2022 58", "ISO 2022 IR 58": return .gb2312
        case "ISO 2022 IR 87": return .iso2022JP
        case "ISO 2022 IR 159": return .iso2022JP2
        case "ISO 2022 IR 149": return .eucKR
        default: break
        }
        if term.hasPrefix("ISO_IR "), let c = codec(irNumber: String(term.dropFirst(7))) { return c }
        if term.hasPrefix("ISO 2022 IR "), let c = codec(irNumber: String(term.dropFirst(12))) { return c }
        switch term.lowercased() {
        case "utf8", "utf-8", "utf_8": return .utf8
        default: return .latin1  // unknown: pydicom's default encoding
        }
    }

    /// The codecs of the terms, with pydicom's stand-alone rule: ISO_IR 192, GBK and GB18030
    /// as first term drop the rest, and are ignored in later positions.
    var codecs: [Codec] {
        guard let first = terms.first else { return [.latin1] }
        let standAlone: Set<String> = ["ISO_IR 192", "GBK", "GB18030"]
        if standAlone.contains(first) { return [Self.codec(forTerm: first)] }
        var out = [Self.codec(forTerm: first)]
        for t in terms.dropFirst() where !standAlone.contains(t) { out.append(Self.codec(forTerm: t)) }
        return out
    }

    /// Escape sequences of PS3.3 Tables C.12-3 and C.12-4 (pydicom CODES_TO_ENCODINGS).
    static func codec(escape: ArraySlice<UInt8>) -> Codec? {
        let s = String(decoding: escape.dropFirst(), as: UTF8.self)
        switch s {
        case "(B": return .latin1
        case "-A": return .latin1
        case ")I", "(J": return .shiftJIS
        case "$B": return .iso2022JP
        case "-B": return .table(0)
        case "-C": return .table(1)
        case "-D": return .table(2)
        case "-F": return .table(5)
        case "-G": return .table(4)
        case "-H": return .table(6)
        case "-L": return .table(3)
        case "-M": return .table(7)
        case "-T": return .table(8)
        case "$)C": return .eucKR
        case "$(D": return .iso2022JP2
        case "$)A": return .gb2312
        default: return nil
        }
    }

    // MARK: Decoding

    static func decode(_ bytes: [UInt8], codecs: [Codec], delimiters: Set<UInt8>) -> String {
        let first = codecs.first ?? .latin1
        guard bytes.contains(0x1B) else { return decode(bytes[...], with: first, fallback: .latin1) }
        var out = ""
        var i = 0
        while i < bytes.count {
            var j = i + 1
            while j < bytes.count, bytes[j] != 0x1B { j += 1 }
            let fragment = bytes[i..<j]
            out += decodeFragment(fragment, codecs: codecs, delimiters: delimiters)
            i = j
        }
        return out
    }

    /// pydicom `_decode_fragment`: a fragment starting with an escape sequence is decoded with
    /// that set if the data set declares it; a delimiter switches back to the first set.
    static func decodeFragment(_ fragment: ArraySlice<UInt8>, codecs: [Codec], delimiters: Set<UInt8>) -> String {
        let first = codecs.first ?? .latin1
        guard fragment.first == 0x1B else { return decode(fragment, with: first, fallback: .latin1) }
        let s = fragment.startIndex
        var seqLength = 3
        if fragment.count >= 3, fragment[s + 1] == 0x24, fragment[s + 2] == 0x28 || fragment[s + 2] == 0x29 {
            seqLength = 4
        }
        guard fragment.count >= seqLength, let codec = codec(escape: fragment.prefix(seqLength)),
              codecs.contains(codec) || codec == .latin1 else {
            // Unknown or undeclared escape: decode everything with the first set.
            return decode(fragment, with: first, fallback: .latin1)
        }
        switch codec {
        case .iso2022JP, .iso2022JP2:
            // These decoders read the escape sequence themselves.
            return decode(fragment, with: codec, fallback: first)
        default:
            let body = fragment.dropFirst(seqLength)
            if let d = body.firstIndex(where: { delimiters.contains($0) }) {
                return decode(body[..<d], with: codec, fallback: first) + decode(body[d...], with: first, fallback: .latin1)
            }
            return decode(body, with: codec, fallback: first)
        }
    }

    static func decode(_ bytes: ArraySlice<UInt8>, with codec: Codec, fallback: Codec) -> String {
        if bytes.isEmpty { return "" }
        switch codec {
        case .latin1:
            var scalars = String.UnicodeScalarView()
            for b in bytes { scalars.append(Unicode.Scalar(b)) }
            return String(scalars)
        case .utf8:
            return String(decoding: bytes, as: UTF8.self)
        case .table(let index):
            guard index < highTables.count else { return decode(bytes, with: .latin1, fallback: .latin1) }
            let table = highTables[index]
            var scalars = String.UnicodeScalarView()
            for b in bytes {
                if b < 0xA0 {
                    scalars.append(Unicode.Scalar(b))
                } else {
                    scalars.append(Unicode.Scalar(UInt32(table[Int(b) - 0xA0])) ?? "\u{FFFD}")
                }
            }
            return String(scalars)
        case .shiftJIS:
            // JIS X 0201: ASCII/Roman in 0x00-0x7F, half-width katakana in 0xA1-0xDF.
            if bytes.allSatisfy({ $0 < 0x80 || (0xA1...0xDF).contains($0) }) {
                var scalars = String.UnicodeScalarView()
                for b in bytes {
                    scalars.append(b < 0x80 ? Unicode.Scalar(b) : Unicode.Scalar(UInt32(0xFF61) + UInt32(b - 0xA1)) ?? "\u{FFFD}")
                }
                return String(scalars)
            }
            return foundation(bytes, .shiftJIS, fallback: fallback)
        case .iso2022JP:
            return foundation(bytes, .iso2022JP, fallback: fallback)
        case .iso2022JP2:
            return foundation(bytes, String.Encoding(rawValue: 0x8000_0821), fallback: fallback)  // kCFStringEncodingISO_2022_JP_2
        case .eucKR:
            return foundation(bytes, String.Encoding(rawValue: 0x8000_0940), fallback: fallback)  // kCFStringEncodingEUC_KR
        case .gb2312:
            return foundation(bytes, String.Encoding(rawValue: 0x8000_0930), fallback: fallback)  // kCFStringEncodingEUC_CN
        case .gb18030:
            return foundation(bytes, String.Encoding(rawValue: 0x8000_0632), fallback: fallback)  // kCFStringEncodingGB_18030_2000
        }
    }

    private static func foundation(_ bytes: ArraySlice<UInt8>, _ encoding: String.Encoding, fallback: Codec) -> String {
        if let s = String(data: Data(bytes), encoding: encoding) { return s }
        // As pydicom: undecodable text is decoded with the first set, with replacement.
        switch fallback {
        case .latin1, .utf8, .table, .shiftJIS: return decode(bytes, with: fallback, fallback: .latin1)
        default: return decode(bytes, with: .latin1, fallback: .latin1)
        }
    }
}
