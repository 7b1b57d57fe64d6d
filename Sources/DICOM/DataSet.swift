public import Foundation


/// A DICOM data set: elements keyed by tag, iterated in ascending tag order.
///
/// Text values are decoded with the data set's Specific Character Set (inherited by
/// sequence items that do not declare their own).
public struct DataSet: Sendable {
    public private(set) var elements: [Tag: DataElement] = [:]
    /// The character set used to decode text VRs affected by Specific Character Set.
    public var characterSet: SpecificCharacterSet = .default

    public init() {}

    public init(elements: [DataElement], characterSet: SpecificCharacterSet = .default) {
        for e in elements { self.elements[e.tag] = e }
        self.characterSet = characterSet
    }

    public subscript(tag: Tag) -> DataElement? {
        get { elements[tag] }
        set { elements[tag] = newValue }
    }

    /// Elements in ascending tag order.
    public var sortedElements: [DataElement] { elements.values.sorted { $0.tag < $1.tag } }

    public func contains(_ tag: Tag) -> Bool { elements[tag] != nil }
}

// MARK: - Typed accessors (all return nil when absent or unreadable; never trap).

extension DataSet {
    /// All text values of a string VR, split on backslash, padding trimmed.
    public func strings(_ tag: Tag) -> [String]? {
        guard let e = elements[tag], let data = e.bytes else { return nil }
        let text: String
        if e.vr.usesSpecificCharacterSet {
            text = characterSet.decode(data, vr: e.vr)
        } else {
            text = String(decoding: data, as: UTF8.self)
        }
        // LT, ST, UT and UR are single-valued: a backslash there is text.
        let parts: [Substring] = [.LT, .ST, .UT, .UR].contains(e.vr)
            ? [Substring(text)] : text.split(separator: "\\", omittingEmptySubsequences: false)
        return parts.map { trimPadding(String($0), vr: e.vr) }
    }

    public func string(_ tag: Tag) -> String? { strings(tag)?.first }

    /// Numbers from DS/IS text or any binary numeric VR.
    public func doubles(_ tag: Tag) -> [Double]? {
        guard let e = elements[tag] else { return nil }
        switch e.vr {
        case .DS, .IS:
            guard let parts = strings(tag) else { return nil }
            var out: [Double] = []
            for p in parts where !p.isEmpty {
                guard let v = Double(p.trimmingCharacters(in: .whitespaces)) else { return nil }
                out.append(v)
            }
            return out
        default:
            return binaryValues(e)
        }
    }

    public func double(_ tag: Tag) -> Double? { doubles(tag)?.first }

    /// Integers from US/SS/UL/SL/UV/SV/IS (and OW/OB as unsigned words/bytes).
    public func ints(_ tag: Tag) -> [Int]? {
        guard let e = elements[tag] else { return nil }
        switch e.vr {
        case .IS, .DS:
            return doubles(tag)?.compactMap { $0.isFinite && abs($0) < 9e15 ? Int($0) : nil }
        case .FL, .FD, .OF, .OD:
            return doubles(tag)?.compactMap { $0.isFinite && abs($0) < 9e15 ? Int($0) : nil }
        default:
            return binaryIntegers(e)
        }
    }

    public func int(_ tag: Tag) -> Int? { ints(tag)?.first }

    public func sequence(_ tag: Tag) -> [DataSet]? { elements[tag]?.items }

    private func binaryIntegers(_ e: DataElement) -> [Int]? {
        guard let d = e.bytes else { return nil }
        let b = [UInt8](d)
        let u = { (i: Int, n: Int) in littleEndian(b, i, n) }
        switch e.vr {
        case .US, .OW, .AT: return stride(from: 0, to: b.count - 1, by: 2).map { Int(u($0, 2)) }
        case .SS: return stride(from: 0, to: b.count - 1, by: 2).map { Int(Int16(truncatingIfNeeded: u($0, 2))) }
        case .UL, .OL: return stride(from: 0, to: b.count - 3, by: 4).map { Int(u($0, 4)) }
        case .SL: return stride(from: 0, to: b.count - 3, by: 4).map { Int(Int32(truncatingIfNeeded: u($0, 4))) }
        case .UV, .OV: return stride(from: 0, to: b.count - 7, by: 8).map { Int(truncatingIfNeeded: u($0, 8)) }
        case .SV: return stride(from: 0, to: b.count - 7, by: 8).map { Int(Int64(bitPattern: u($0, 8))) }
        case .OB, .UN: return b.map { Int($0) }
        default: return nil
        }
    }

    private func binaryValues(_ e: DataElement) -> [Double]? {
        guard let d = e.bytes else { return nil }
        let b = [UInt8](d)
        let u = { (i: Int, n: Int) in littleEndian(b, i, n) }
        switch e.vr {
        case .FL, .OF: return stride(from: 0, to: b.count - 3, by: 4).map { Double(Float(bitPattern: UInt32(u($0, 4)))) }
        case .FD, .OD: return stride(from: 0, to: b.count - 7, by: 8).map { Double(bitPattern: u($0, 8)) }
        default: return binaryIntegers(e)?.map(Double.init)
        }
    }
}

/// The unsigned little-endian integer of `n` bytes at `i` (callers keep `i + n <= b.count`).
private func littleEndian(_ b: [UInt8], _ i: Int, _ n: Int) -> UInt64 {
    var v: UInt64 = 0
    for k in 0..<n { v |= UInt64(b[i + k]) << (8 * UInt64(k)) }
    return v
}

private func trimPadding(_ s: String, vr: VR) -> String {
    // UI is padded with NUL; other text VRs with spaces. LT/ST/UT keep leading spaces (PS3.5 6.2).
    var scalars = Substring(s)
    while let last = scalars.last, last == " " || last == "\0" { scalars = scalars.dropLast() }
    switch vr {
    case .LT, .ST, .UT: return String(scalars)
    default:
        while let first = scalars.first, first == " " { scalars = scalars.dropFirst() }
        return String(scalars)
    }
}
