import Foundation

/// The encoding rules of PS3.5 Table 6.2-1 that a writer must keep: padding, lengths, character
/// repertoires and value formats. Reading stays lenient (see `DICOMParser`); writing is strict, so
/// everything we emit passes outside validators.
extension VR {
    /// The byte that pads a value to even length: NUL for UI and binary VRs, space for other text.
    public var paddingByte: UInt8 { isText && self != .UI ? 0x20 : 0x00 }

    /// Text VRs holding several values separated by backslash; LT, ST, UT and UR hold one.
    var isMultiValuedText: Bool { isText && ![.LT, .ST, .UT, .UR].contains(self) }

    /// Maximum length of one value: characters for text VRs (bytes for the ASCII-only ones), or nil
    /// when only the length field limits it. PN is checked per component group instead.
    var maxValueLength: Int? {
        switch self {
        case .AE, .CS, .DS, .SH: return 16
        case .AS: return 4
        case .DA: return 8
        case .DT: return 26
        case .IS: return 12
        case .LO, .UI: return 64
        case .LT: return 10240
        case .ST: return 1024
        case .TM: return 14
        default: return nil
        }
    }

    /// Size of one binary value, for the length check (AT is two 16-bit words per value).
    var binaryValueSize: Int? { self == .AT ? 4 : binaryWordSize }
}

/// Checks one element's (unpadded or padded) bytes against its VR; `path` names it in errors.
enum VRValidator {
    static func check(_ bytes: [UInt8], vr: VR, tag: Tag, path: String) throws(DICOMWriteError) {
        func invalid(_ reason: String) -> DICOMWriteError { .invalidValue(tag: tag, path: path, vr: vr, reason: reason) }
        if let size = vr.binaryValueSize {
            guard bytes.count % size == 0 else {
                throw invalid("\(bytes.count) bytes is not a multiple of the value size \(size)")
            }
            return
        }
        guard vr.isText else { return }  // OB, UN: any bytes

        var body = bytes[...]
        // Trailing padding is not part of the value (UI pads with NUL, the others with space).
        if let last = body.last, last == vr.paddingByte || (vr != .UI && last == 0) { body = body.dropLast() }
        let values: [ArraySlice<UInt8>] = vr.isMultiValuedText
            ? body.split(separator: 0x5C, omittingEmptySubsequences: false) : [body]
        for value in values {
            try checkCharacters(value, vr: vr, invalid: invalid)
            let text = String(decoding: value, as: UTF8.self)
            let length = vr.usesSpecificCharacterSet ? text.unicodeScalars.count : value.count
            if vr == .PN {
                let groups = text.split(separator: "=", omittingEmptySubsequences: false)
                guard groups.count <= 3 else { throw invalid("'\(text)' has more than 3 component groups") }
                for g in groups {
                    guard g.unicodeScalars.count <= 64 else {
                        throw .valueTooLong(tag: tag, path: path, vr: vr, length: g.unicodeScalars.count, maximum: 64)
                    }
                    guard g.split(separator: "^", omittingEmptySubsequences: false).count <= 5 else {
                        throw invalid("'\(text)' has more than 5 name components")
                    }
                }
            } else if let max = vr.maxValueLength, length > max {
                throw .valueTooLong(tag: tag, path: path, vr: vr, length: length, maximum: max)
            }
            if !text.isEmpty, let reason = formatProblem(text, vr: vr) { throw invalid("'\(text)' \(reason)") }
        }
    }

    /// Default repertoire for the ASCII-only VRs; control characters only where the VR allows them
    /// (ESC for code extensions; CR, LF, FF and TAB in the free-text VRs).
    private static func checkCharacters(_ value: ArraySlice<UInt8>, vr: VR, invalid: (String) -> DICOMWriteError)
        throws(DICOMWriteError)
    {
        let freeText: Set<VR> = [.LT, .ST, .UT]
        for b in value {
            if b < 0x20 {
                let allowed: Bool
                if freeText.contains(vr) { allowed = [0x09, 0x0A, 0x0C, 0x0D, 0x1B].contains(b) }
                else { allowed = vr.usesSpecificCharacterSet && b == 0x1B }
                if !allowed { throw invalid("control character 0x\(String(b, radix: 16)) not allowed") }
            } else if b >= 0x7F && !vr.usesSpecificCharacterSet {
                throw invalid("byte 0x\(String(b, radix: 16)) outside the default character repertoire")
            }
        }
    }

    /// Why `text` (one value, padding removed) is not in the format of `vr`, or nil when it is.
    static func formatProblem(_ text: String, vr: VR) -> String? {
        let s = Array(text.utf8)
        func digits(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= s.count, r.allSatisfy({ s[$0] >= 0x30 && s[$0] <= 0x39 }) else { return nil }
            return Int(String(decoding: s[r], as: UTF8.self))
        }
        switch vr {
        case .CS:
            let ok = s.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x20 || $0 == 0x5F }
            return ok ? nil : "may hold only upper-case letters, digits, space and underscore"
        case .AS:
            guard s.count == 4, digits(0..<3) != nil, "DWMY".utf8.contains(s[3]) else { return "is not nnnD, nnnW, nnnM or nnnY" }
        case .DA:
            guard s.count == 8, let m = digits(4..<6), let d = digits(6..<8), digits(0..<4) != nil,
                  (1...12).contains(m), (1...31).contains(d) else { return "is not a date YYYYMMDD" }
        case .TM:
            return timeProblem(s[...])
        case .DT:
            var body = s[...]
            if let sign = body.lastIndex(where: { $0 == 0x2B || $0 == 0x2D }) {
                let zone = body[(sign + 1)...]
                guard zone.count == 4, zone.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return "has an offset that is not &ZZXX" }
                body = body[..<sign]
            }
            let datePart = Array(body.prefix(8))
            guard [4, 6, 8].contains(datePart.count), datePart.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                return "is not a date-time YYYYMMDDHHMMSS.FFFFFF&ZZXX"
            }
            if datePart.count >= 6, let m = digits(4..<6), !(1...12).contains(m) { return "has month \(m)" }
            if datePart.count == 8, let d = digits(6..<8), !(1...31).contains(d) { return "has day \(d)" }
            if body.count > 8, let problem = timeProblem(body.dropFirst(8)) { return problem }
        case .DS:
            let t = text.trimmingCharacters(in: .whitespaces)
            guard isDecimal(t), Double(t)?.isFinite == true else { return "is not a decimal string" }
        case .IS:
            let t = text.trimmingCharacters(in: .whitespaces)
            guard let v = Int(t.hasPrefix("+") ? String(t.dropFirst()) : t), v >= Int(Int32.min), v <= Int(Int32.max)
            else { return "is not an integer string in the 32-bit signed range" }
        case .UI:
            let components = text.split(separator: ".", omittingEmptySubsequences: false)
            for c in components {
                guard !c.isEmpty, c.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return "is not a UID (digits and dots)" }
                if c.count > 1 && c.hasPrefix("0") { return "has a UID component with a leading zero" }
            }
        case .AE:
            if text.allSatisfy({ $0 == " " }) { return "is only spaces" }
        case .UR:
            if text.hasPrefix(" ") { return "has leading spaces" }
        default:
            return nil
        }
        return nil
    }

    /// HH[MM[SS[.F{1,6}]]] with hours 00-23, minutes 00-59, seconds 00-60 (leap second).
    private static func timeProblem(_ s: ArraySlice<UInt8>) -> String? {
        let a = Array(s)
        func two(_ i: Int) -> Int? {
            guard i + 2 <= a.count, a[i...(i + 1)].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(String(decoding: a[i..<(i + 2)], as: UTF8.self))
        }
        let bad = "is not a time HHMMSS.FFFFFF"
        let main = a.firstIndex(of: 0x2E) ?? a.count
        guard [2, 4, 6].contains(main), let h = two(0), h < 24 else { return bad }
        if main >= 4 { guard let m = two(2), m < 60 else { return bad } }
        if main == 6 { guard let sec = two(4), sec <= 60 else { return bad } }
        if main < a.count {
            let fraction = a[(main + 1)...]
            guard main == 6, (1...6).contains(fraction.count), fraction.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return bad }
        }
        return nil
    }

    /// `[+-]digits[.digits][(e|E)[+-]digits]`, or with the digits only after the point.
    private static func isDecimal(_ t: String) -> Bool {
        var s = Substring(t)
        if s.first == "+" || s.first == "-" { s = s.dropFirst() }
        var mantissa = s, exponent: Substring? = nil
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = s[..<e]
            exponent = s[s.index(after: e)...]
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
              parts.contains(where: { !$0.isEmpty }) else { return false }
        if var e = exponent {
            if e.first == "+" || e.first == "-" { e = e.dropFirst() }
            guard !e.isEmpty, e.allSatisfy(\.isASCIIDigit) else { return false }
        }
        return true
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
