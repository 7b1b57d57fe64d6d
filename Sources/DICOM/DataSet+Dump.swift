import Foundation

extension DataSet {
    /// A human-readable listing, one line per element in tag order:
    /// `(0010,0010) PN PatientName  Doe^John`. Sequence items follow their sequence, indented two
    /// spaces per nesting level under an `Item N` line. Text longer than `maxValueLength`
    /// characters is cut with "...", binary values show a few numbers or `<N bytes>`, and
    /// encapsulated pixel data shows `<encapsulated: F fragments>`.
    public func dumpLines(maxValueLength: Int = 64) -> [String] {
        var out: [String] = []
        appendDump(to: &out, level: 0, maxValueLength: max(4, maxValueLength))
        return out
    }

    private func appendDump(to out: inout [String], level: Int, maxValueLength: Int) {
        let indent = String(repeating: "  ", count: level)
        for e in sortedElements {
            let name = Self.displayName(e.tag)
            let head = "\(indent)\(e.tag) \(e.vr.rawValue) \(name)"
            switch e.value {
            case .sequence(let items):
                out.append("\(head)  <\(items.count) item\(items.count == 1 ? "" : "s")>")
                for (i, item) in items.enumerated() {
                    out.append("\(indent)  Item \(i + 1)")
                    item.appendDump(to: &out, level: level + 2, maxValueLength: maxValueLength)
                }
            case .encapsulated(let enc):
                var text = "<encapsulated: \(enc.fragments.count) fragment\(enc.fragments.count == 1 ? "" : "s")"
                if !enc.basicOffsetTable.isEmpty { text += ", offset table of \(enc.basicOffsetTable.count)" }
                out.append("\(head)  \(text)>")
            case .bytes(let d):
                out.append("\(head)  \(displayValue(e, d, maxValueLength: maxValueLength))")
            }
        }
    }

    /// Keyword, "PrivateCreator" for private creator elements, or "?" when unknown.
    static func displayName(_ tag: Tag) -> String {
        if let k = DataDictionary.keyword(for: tag) { return k }
        if tag.isPrivate, tag.element >= 0x0010, tag.element <= 0x00FF { return "PrivateCreator" }
        if tag.isGroupLength { return "GroupLength" }
        return "?"
    }

    private func displayValue(_ e: DataElement, _ d: Data, maxValueLength: Int) -> String {
        if d.isEmpty { return "" }
        let text: String
        if e.vr.isText {
            text = (strings(e.tag) ?? []).joined(separator: "\\")
        } else {
            switch e.vr {
            case .OB, .OW, .OF, .OD, .OL, .OV, .UN:
                return "<\(d.count) bytes>"
            case .AT:
                let words = ints(e.tag) ?? []
                text = stride(from: 0, to: words.count - 1, by: 2)
                    .map { Tag(UInt16(truncatingIfNeeded: words[$0]), UInt16(truncatingIfNeeded: words[$0 + 1])).description }
                    .joined(separator: "\\")
            case .FL, .FD:
                let values = doubles(e.tag) ?? []
                if values.count > 16 { return "<\(d.count) bytes>" }
                text = values.map { Self.formatNumber($0) }.joined(separator: "\\")
            default:
                let values = ints(e.tag) ?? []
                if values.count > 16 { return "<\(d.count) bytes>" }
                text = values.map(String.init).joined(separator: "\\")
            }
        }
        let printable = String(text.unicodeScalars.map { $0.value < 0x20 ? "." : Character($0) })
        if printable.count > maxValueLength { return String(printable.prefix(maxValueLength - 3)) + "..." }
        return printable
    }

    static func formatNumber(_ v: Double) -> String {
        if v.isFinite, v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}
