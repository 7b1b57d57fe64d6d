import Foundation

extension DataSet {
    /// The DICOM JSON Model (PS3.18 F.2) as Foundation objects ready for `JSONSerialization`:
    /// `["00100010": ["vr": "PN", "Value": [["Alphabetic": "Doe^John"]]], ...]`.
    ///
    /// DS and IS values are numbers (text that does not parse stays a string), AT values are
    /// "GGGGEEEE" strings, empty values are `NSNull`, sequences nest item objects. Binary VRs
    /// (OB, OW, OF, OD, OL, OV, UN) carry base64 "InlineBinary" only up to `inlineBinaryLimit`
    /// bytes; larger values and encapsulated pixel data have just their "vr". Non-finite floats
    /// become `NSNull` since JSON has no NaN.
    public func jsonObject(inlineBinaryLimit: Int = 1024) -> [String: Any] {
        var out: [String: Any] = [:]
        for e in sortedElements {
            out[Self.jsonKey(e.tag)] = jsonAttribute(e, inlineBinaryLimit: inlineBinaryLimit)
        }
        return out
    }

    static func jsonKey(_ tag: Tag) -> String { hex4(tag.group) + hex4(tag.element) }

    private func jsonAttribute(_ e: DataElement, inlineBinaryLimit: Int) -> [String: Any] {
        var attr: [String: Any] = ["vr": e.vr.rawValue]
        switch e.value {
        case .sequence(let items):
            attr["Value"] = items.map { $0.jsonObject(inlineBinaryLimit: inlineBinaryLimit) }
        case .encapsulated:
            break
        case .bytes(let d):
            guard !d.isEmpty else { break }
            switch e.vr {
            case .OB, .OW, .OF, .OD, .OL, .OV, .UN:
                if d.count <= inlineBinaryLimit { attr["InlineBinary"] = d.base64EncodedString() }
            case .PN:
                attr["Value"] = (strings(e.tag) ?? []).map { name -> Any in
                    if name.isEmpty { return NSNull() }
                    let groups = name.split(separator: "=", omittingEmptySubsequences: false).map(String.init)
                    var object: [String: Any] = [:]
                    for (key, g) in zip(["Alphabetic", "Ideographic", "Phonetic"], groups) where !g.isEmpty {
                        object[key] = g
                    }
                    return object
                }
            case .DS, .IS:
                attr["Value"] = (strings(e.tag) ?? []).map { s -> Any in
                    let t = s.trimmingCharacters(in: .whitespaces)
                    if t.isEmpty { return NSNull() }
                    if e.vr == .IS, let i = Int(t) { return i }
                    if let v = Double(t), v.isFinite { return v }
                    return t
                }
            case .AT:
                let words = ints(e.tag) ?? []
                attr["Value"] = stride(from: 0, to: words.count - 1, by: 2).map {
                    hex4(UInt16(truncatingIfNeeded: words[$0])) + hex4(UInt16(truncatingIfNeeded: words[$0 + 1]))
                }
            case .FL, .FD:
                attr["Value"] = (doubles(e.tag) ?? []).map { $0.isFinite ? $0 as Any : NSNull() }
            case .UV:
                attr["Value"] = Self.uint64Values(d)
            case .US, .SS, .UL, .SL, .SV:
                attr["Value"] = ints(e.tag) ?? []
            default:
                let values = strings(e.tag) ?? []
                attr["Value"] = values.map { $0.isEmpty ? NSNull() as Any : $0 }
            }
        }
        return attr
    }

    private static func uint64Values(_ d: Data) -> [UInt64] {
        let b = [UInt8](d)
        return stride(from: 0, to: b.count - 7, by: 8).map { i in
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(b[i + k]) << (8 * UInt64(k)) }
            return v
        }
    }
}
