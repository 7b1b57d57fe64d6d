/// The standard DICOM data dictionary (PS3.6): keyword and VR of each public tag, repeating
/// groups (50xx, 60xx, 7Fxx, ...) included. Generated from pydicom 3.0.2 (MIT) by
/// `Scripts/gen_dicom_dictionary.py`; parsed from one string literal on first use.
public enum DataDictionary {
    /// A parsed dictionary line. `vrs` holds every allowed VR ("US or SS" gives [US, SS]).
    struct Entry: Sendable {
        var vrs: [VR]
        var keyword: String
        /// The VR used when the encoding does not say (implicit VR): the first listed, except
        /// "OB or OW" which is OW (PS3.5 A.1: implicit VR pixel data is OW), as pydicom does.
        var vr: VR {
            if vrs.count > 1, vrs.contains(.OW), vrs.first == .OB { return .OW }
            return vrs.first ?? .UN
        }
    }

    struct Repeater: Sendable {
        var mask: UInt32
        var value: UInt32
        var entry: Entry
    }

    struct Tables: Sendable {
        var byTag: [UInt32: Entry] = [:]
        var repeaters: [Repeater] = []
        var byKeyword: [String: UInt32] = [:]
    }

    static let tables: Tables = {
        var t = Tables()
        t.byTag.reserveCapacity(5200)
        t.byKeyword.reserveCapacity(5300)
        for line in standardEntriesText.split(separator: "\n") {
            guard let (tagText, entry) = parseLine(line), let tag = UInt32(tagText, radix: 16) else { continue }
            t.byTag[tag] = entry
            t.byKeyword[entry.keyword] = tag
        }
        for line in repeaterEntriesText.split(separator: "\n") {
            guard let (maskText, entry) = parseLine(line), maskText.count == 8 else { continue }
            var mask: UInt32 = 0
            var value: UInt32 = 0
            for ch in maskText {
                mask <<= 4
                value <<= 4
                if ch == "x" { continue }
                guard let d = ch.hexDigitValue else { continue }
                mask |= 0xF
                value |= UInt32(d)
            }
            t.repeaters.append(Repeater(mask: mask, value: value, entry: entry))
            if t.byKeyword[entry.keyword] == nil { t.byKeyword[entry.keyword] = value }
        }
        return t
    }()

    private static func parseLine(_ line: Substring) -> (Substring, Entry)? {
        let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard cols.count == 3 else { return nil }
        let vrs = cols[1].split(separator: "/").compactMap { VR(rawValue: String($0)) }
        return (cols[0], Entry(vrs: vrs.isEmpty ? [.UN] : vrs, keyword: String(cols[2])))
    }

    static func lookup(_ tag: Tag) -> Entry? {
        let t = tables
        if let e = t.byTag[tag.value] { return e }
        if tag.isPrivate { return nil }
        for r in t.repeaters where tag.value & r.mask == r.value { return r.entry }
        return nil
    }

    /// VR and keyword of a standard tag, or nil for private and unknown tags. For tags allowing
    /// several VRs, the VR implicit-VR data is read with (the first listed; OW for "OB or OW").
    public static func entry(for tag: Tag) -> (vr: VR, keyword: String)? {
        guard let e = lookup(tag) else { return nil }
        return (e.vr, e.keyword)
    }

    /// Every VR the dictionary allows for `tag` (e.g. [US, SS]); empty when unknown.
    public static func allowedVRs(for tag: Tag) -> [VR] { lookup(tag)?.vrs ?? [] }

    /// The keyword of a standard tag, e.g. "PatientName" for (0010,0010).
    public static func keyword(for tag: Tag) -> String? { lookup(tag)?.keyword }

    /// The tag of a keyword; repeating-group keywords give their first group (e.g. OverlayData -> (6000,3000)).
    public static func tag(forKeyword keyword: String) -> Tag? {
        guard let v = tables.byKeyword[keyword] else { return nil }
        return Tag(UInt16(truncatingIfNeeded: v >> 16), UInt16(truncatingIfNeeded: v))
    }

    /// The VR implicit-VR data uses for `tag`: the dictionary's, else LO for private creators,
    /// UL for group lengths, UN otherwise (as pydicom).
    static func implicitVR(for tag: Tag) -> VR {
        if tag.element == 0 { return .UL }
        if let e = lookup(tag) { return e.vr }
        if tag.isPrivate, tag.element >= 0x0010, tag.element <= 0x00FF { return .LO }
        return .UN
    }
}
