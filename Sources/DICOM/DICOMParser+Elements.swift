import Foundation

/// The element-level reader over one buffer. A class so the element count is shared by
/// nested calls; never escapes the parse call.
final class ElementReader {
    let bytes: [UInt8]
    let limits: ParseLimits
    var elementCount = 0
    /// Recoverable problems met so far (see `readDataSet(lenient:)`).
    var problems: [DICOMError] = []

    init(bytes: [UInt8], limits: ParseLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    // MARK: Primitive reads (callers check bounds first).

    @inline(__always) func u16(_ p: Int, le: Bool) -> UInt16 {
        le ? UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8 : UInt16(bytes[p + 1]) | UInt16(bytes[p]) << 8
    }

    @inline(__always) func u32(_ p: Int, le: Bool) -> UInt32 {
        let b0 = UInt32(bytes[p]), b1 = UInt32(bytes[p + 1]), b2 = UInt32(bytes[p + 2]), b3 = UInt32(bytes[p + 3])
        return le ? b0 | b1 << 8 | b2 << 16 | b3 << 24 : b3 | b2 << 8 | b1 << 16 | b0 << 24
    }

    @inline(__always) func tag(_ p: Int, le: Bool) -> Tag { Tag(u16(p, le: le), u16(p + 2, le: le)) }

    func need(_ p: Int, _ n: Int, end: Int, tag: Tag?) throws(DICOMError) {
        if n > end - p {
            throw .truncated(offset: p, tag: tag, needed: n, available: max(0, end - p))
        }
    }

    @inline(__always) static func isUpper(_ c: UInt8) -> Bool { c > 0x40 && c < 0x5B }

    /// pydicom's `_is_implicit_vr`: looks at the first element's VR bytes. Items of a sequence
    /// never switch from implicit to explicit, but may be implicit inside an explicit data set.
    func detectImplicit(at p: Int, end: Int, assumed: Bool, le: Bool, inSequence: Bool) -> Bool {
        if inSequence && assumed { return true }
        guard end - p >= 6 else { return assumed }
        let found = !(Self.isUpper(bytes[p + 4]) && Self.isUpper(bytes[p + 5]))
        return found
    }

    // MARK: Data sets

    /// Reads elements from `pos` until `end` (a defined length), an item delimiter
    /// (`untilItemDelimiter`), or, with `onlyGroup2`, the first element outside group 0002.
    /// With `lenient` (the top-level data set), an element cut short by the end of the data is
    /// dropped and reading stops, as pydicom does; the error is appended to `problems`.
    func readDataSet(
        at pos: inout Int, end: Int, untilItemDelimiter: Bool, implicit: Bool, le: Bool, depth: Int,
        charset inherited: SpecificCharacterSet, parentPixelRepresentation: Int?, onlyGroup2: Bool,
        lenient: Bool = false
    ) throws(DICOMError) -> DataSet {
        var elements: [DataElement] = []
        var charset = inherited
        var ambiguous: [Int] = []  // indices of elements whose VR came from an ambiguous dictionary entry
        while true {
            if pos >= end {
                if untilItemDelimiter {
                    throw .truncated(offset: pos, tag: nil, needed: 8, available: 0)
                }
                break
            }
            if end - pos < 8 {
                // As pydicom: fewer than 8 trailing bytes end the data set.
                if untilItemDelimiter {
                    throw .truncated(offset: pos, tag: nil, needed: 8, available: end - pos)
                }
                pos = end
                break
            }
            let t = tag(pos, le: le)
            if onlyGroup2 && t.group != 0x0002 { break }
            if t == .itemDelimitation {
                pos += 8
                if !untilItemDelimiter { pos = end }
                break
            }
            if t == .sequenceDelimitation && untilItemDelimiter {
                // Missing item delimiter: let the sequence reader consume the sequence delimiter.
                break
            }
            let read: (element: DataElement, ambiguous: Bool)?
            do throws(DICOMError) {
                read = try readElement(at: &pos, end: end, implicit: implicit, le: le, depth: depth, charset: charset)
            } catch {
                // Only a cut at the end of the whole buffer is recoverable; a value overrunning
                // its item or sequence is a structural error.
                guard lenient, case .truncated(let offset, _, _, let available) = error,
                      offset + available >= bytes.count else { throw error }
                problems.append(error)
                pos = end
                break
            }
            guard let (element, isAmbiguous) = read else { continue }
            if element.tag == .specificCharacterSet, let d = element.bytes {
                charset = SpecificCharacterSet(value: d)
            }
            if isAmbiguous { ambiguous.append(elements.count) }
            elements.append(element)
        }

        var ds = DataSet(elements: elements, characterSet: charset)
        let pixelRepresentation = ds.int(.pixelRepresentation) ?? parentPixelRepresentation
        for i in ambiguous {
            let e = elements[i]
            let corrected = Self.resolveAmbiguous(e, implicit: implicit, pixelRepresentation: pixelRepresentation)
            if corrected != e.vr {
                ds[e.tag] = DataElement(tag: e.tag, vr: corrected, value: e.value, offset: e.offset)
            }
        }
        Self.attachExtendedOffsetTable(&ds)
        return ds
    }

    /// Reads one element at `pos` (not an item delimiter). Returns nil for stray item tags,
    /// which are skipped; `ambiguous` is true when the VR came from a dictionary entry
    /// allowing several VRs.
    func readElement(
        at pos: inout Int, end: Int, implicit: Bool, le: Bool, depth: Int, charset: SpecificCharacterSet
    ) throws(DICOMError) -> (element: DataElement, ambiguous: Bool)? {
        let start = pos
        let t = tag(pos, le: le)
        var vr: VR
        var length: UInt32
        var vrFromDictionary = false
        var explicitUN = false
        var p = pos
        if implicit {
            length = u32(p + 4, le: le)
            vr = DataDictionary.implicitVR(for: t)
            vrFromDictionary = true
            p += 8
        } else {
            let c0 = bytes[p + 4], c1 = bytes[p + 5]
            if Self.isUpper(c0), Self.isUpper(c1) {
                if let known = VR(rawValue: String(decoding: [c0, c1], as: UTF8.self)) {
                    vr = known
                    if known.hasLongLength {
                        try need(p, 12, end: end, tag: t)
                        length = u32(p + 8, le: le)
                        p += 12
                    } else {
                        length = UInt32(u16(p + 6, le: le))
                        p += 8
                    }
                    explicitUN = known == .UN
                } else {
                    // Two capitals that are no VR: pydicom assumes a 2-byte length.
                    vr = .UN
                    length = UInt32(u16(p + 6, le: le))
                    p += 8
                }
            } else {
                // Not a VR: this element is implicit VR (some writers switch, pydicom issue 1067).
                length = u32(p + 4, le: le)
                vr = DataDictionary.implicitVR(for: t)
                vrFromDictionary = true
                p += 8
            }
        }

        elementCount += 1
        if elementCount > limits.maxElementCount {
            throw .limitExceeded(offset: start, tag: t, limit: "element count", value: elementCount, maximum: limits.maxElementCount)
        }

        // Item tags do not belong in a data set: skip them (defined length) as pydicom reads past.
        if t.group == 0xFFFE {
            if length == 0xFFFF_FFFF {
                throw .malformed(offset: start, tag: t, reason: "item or delimiter tag of undefined length inside a data set")
            }
            try need(p, Int(length), end: end, tag: t)
            pos = p + Int(length)
            return nil
        }

        if explicitUN {
            if t.isPrivate {
                // pydicom: a UN private creator is LO.
                if t.element >= 0x0010, t.element <= 0x00FF { vr = .LO }
            } else if length == 0xFFFF_FFFF || length < 0xFFFF, let entry = DataDictionary.lookup(t) {
                // A UN of a known public tag takes its dictionary VR (pydicom replace_un_with_known_vr).
                vr = entry.vr
                vrFromDictionary = true
            }
        }

        let element: DataElement
        if length == 0xFFFF_FFFF {
            element = try readUndefinedLength(
                tag: t, vr: vr, start: start, pos: &p, end: end, implicit: implicit, le: le,
                depth: depth, charset: charset)
        } else {
            let n = Int(length)
            if n > limits.maxElementLength {
                throw .limitExceeded(offset: start, tag: t, limit: "element length", value: n, maximum: limits.maxElementLength)
            }
            try need(p, n, end: end, tag: t)
            let valueEnd = p + n
            if vr == .SQ {
                var q = p
                do throws(DICOMError) {
                    let items = try readSequence(
                        at: &q, end: valueEnd, undefinedLength: false, tag: t, implicit: implicit, le: le,
                        depth: depth + 1, charset: charset)
                    element = DataElement(tag: t, vr: .SQ, value: .sequence(items), offset: start)
                } catch {
                    // A UN turned SQ that does not parse stays UN bytes (pydicom keeps the raw value too).
                    guard explicitUN else { throw error }
                    element = DataElement(tag: t, vr: .UN, value: .bytes(Data(bytes[p..<valueEnd])), offset: start)
                }
            } else {
                element = DataElement(tag: t, vr: vr, value: .bytes(value(p, valueEnd, vr: vr, le: le)), offset: start)
            }
            p = valueEnd
        }
        pos = p
        let isAmbiguous = vrFromDictionary && (DataDictionary.lookup(t)?.vrs.count ?? 0) > 1
        return (element, isAmbiguous)
    }

    /// pydicom's `correct_ambiguous_vr` for the cases that change how values read: US or SS by
    /// Pixel Representation; LUT descriptors are US.
    static func resolveAmbiguous(_ e: DataElement, implicit: Bool, pixelRepresentation: Int?) -> VR {
        let vrs = DataDictionary.allowedVRs(for: e.tag)
        if e.tag == .pixelData {
            // PS3.5 A.4: encapsulated pixel data is OB; A.1: implicit VR pixel data is OW.
            if case .encapsulated = e.value { return .OB }
            return .OW
        }
        guard vrs.contains(.US), vrs.contains(.SS) else { return e.vr }
        let lutDescriptors: Set<UInt32> = [0x0028_1101, 0x0028_1102, 0x0028_1103, 0x0028_1111, 0x0028_1112,
                                           0x0028_1113, 0x0028_3002, 0x0028_1100]
        if lutDescriptors.contains(e.tag.value) { return .US }
        return pixelRepresentation == 1 ? .SS : .US
    }

    static func attachExtendedOffsetTable(_ ds: inout DataSet) {
        guard let pd = ds[.pixelData], case .encapsulated(var enc) = pd.value,
              let offsets = ds[Tag(0x7FE0, 0x0001)]?.bytes else { return }
        enc.extendedOffsets = uint64s(offsets)
        if let lengths = ds[Tag(0x7FE0, 0x0002)]?.bytes { enc.extendedLengths = uint64s(lengths) }
        ds[.pixelData] = DataElement(tag: pd.tag, vr: pd.vr, value: .encapsulated(enc), offset: pd.offset)
    }

    static func uint64s(_ d: Data) -> [UInt64] {
        let b = [UInt8](d)
        return stride(from: 0, to: b.count - 7, by: 8).map { i in
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(b[i + k]) << (8 * UInt64(k)) }
            return v
        }
    }

    /// Value bytes, big-endian words swapped to little endian.
    func value(_ from: Int, _ to: Int, vr: VR, le: Bool) -> Data {
        guard !le, let w = vr.binaryWordSize, w > 1 else { return Data(bytes[from..<to]) }
        var out = Array(bytes[from..<to])
        var i = 0
        while i + w <= out.count {
            var a = i, b = i + w - 1
            while a < b { out.swapAt(a, b); a += 1; b -= 1 }
            i += w
        }
        return Data(out)
    }

    // MARK: Undefined length

    func readUndefinedLength(
        tag t: Tag, vr declared: VR, start: Int, pos: inout Int, end: Int, implicit: Bool, le: Bool, depth: Int,
        charset: SpecificCharacterSet
    ) throws(DICOMError) -> DataElement {
        var vr = declared
        // PS3.5 6.2.2: UN of undefined length is a sequence in implicit VR LE.
        if vr == .UN {
            if !implicit {
                vr = .SQ
            } else if end - pos >= 4, tag(pos, le: le) == .item {
                // Unknown (private) tag in implicit VR: a sequence if an item follows (pydicom look-ahead).
                vr = .SQ
            }
        }
        if vr == .SQ {
            var p = pos
            let items = try readSequence(
                at: &p, end: end, undefinedLength: true, tag: t, implicit: implicit, le: le,
                depth: depth + 1, charset: charset)
            pos = p
            return DataElement(tag: t, vr: .SQ, value: .sequence(items), offset: start)
        }
        if t == .pixelData {
            let enc = try readEncapsulated(at: &pos, end: end, tag: t)
            return DataElement(tag: t, vr: vr, value: .encapsulated(enc), offset: start)
        }
        // Any other value of undefined length ends at a sequence delimiter (pydicom read_undefined_length_value).
        var p = pos
        while true {
            guard end - p >= 8 else {
                throw .truncated(offset: pos, tag: t, needed: 8, available: max(0, end - p))
            }
            if u16(p, le: le) == 0xFFFE, u16(p + 2, le: le) == 0xE0DD { break }
            p += 1
        }
        let n = p - pos
        if n > limits.maxElementLength {
            throw .limitExceeded(offset: start, tag: t, limit: "element length", value: n, maximum: limits.maxElementLength)
        }
        let element = DataElement(tag: t, vr: vr, value: .bytes(value(pos, p, vr: vr, le: le)), offset: start)
        pos = p + 8
        return element
    }

    // MARK: Sequences

    func readSequence(
        at pos: inout Int, end: Int, undefinedLength: Bool, tag seqTag: Tag, implicit: Bool, le: Bool, depth: Int,
        charset: SpecificCharacterSet
    ) throws(DICOMError) -> [DataSet] {
        if depth > limits.maxSequenceDepth {
            throw .limitExceeded(offset: pos, tag: seqTag, limit: "sequence depth", value: depth, maximum: limits.maxSequenceDepth)
        }
        var items: [DataSet] = []
        while undefinedLength || pos < end {
            if end - pos < 8 {
                throw .truncated(offset: pos, tag: seqTag, needed: 8, available: max(0, end - pos))
            }
            let t = tag(pos, le: le)
            let length = u32(pos + 4, le: le)
            if t == .sequenceDelimitation {
                pos += 8
                break
            }
            guard t == .item else {
                throw .malformed(offset: pos, tag: seqTag, reason: "expected an item tag (FFFE,E000), found \(t)")
            }
            elementCount += 1
            if elementCount > limits.maxElementCount {
                throw .limitExceeded(offset: pos, tag: seqTag, limit: "element count", value: elementCount, maximum: limits.maxElementCount)
            }
            pos += 8
            let itemImplicit: Bool
            let item: DataSet
            if length == 0xFFFF_FFFF {
                itemImplicit = detectImplicit(at: pos, end: end, assumed: implicit, le: le, inSequence: true)
                item = try readDataSet(
                    at: &pos, end: end, untilItemDelimiter: true, implicit: itemImplicit, le: le, depth: depth,
                    charset: charset, parentPixelRepresentation: nil, onlyGroup2: false)
            } else {
                let n = Int(length)
                try need(pos, n, end: end, tag: seqTag)
                let itemEnd = pos + n
                itemImplicit = detectImplicit(at: pos, end: itemEnd, assumed: implicit, le: le, inSequence: true)
                item = try readDataSet(
                    at: &pos, end: itemEnd, untilItemDelimiter: false, implicit: itemImplicit, le: le, depth: depth,
                    charset: charset, parentPixelRepresentation: nil, onlyGroup2: false)
                pos = itemEnd
            }
            items.append(item)
        }
        return items
    }

    // MARK: Encapsulated pixel data (PS3.5 A.4)

    func readEncapsulated(at pos: inout Int, end: Int, tag pixelTag: Tag) throws(DICOMError) -> EncapsulatedPixelData {
        var offsetTable: [UInt32] = []
        var fragments: [Data] = []
        var fragmentOffsets: [UInt32] = []
        var first = true
        var firstFragmentTag: Int?
        while true {
            if end - pos < 8 {
                throw .truncated(offset: pos, tag: pixelTag, needed: 8, available: max(0, end - pos))
            }
            // Encapsulated data is always little endian.
            let t = tag(pos, le: true)
            let length = u32(pos + 4, le: true)
            if t == .sequenceDelimitation {
                pos += 8
                break
            }
            guard t == .item else {
                throw .malformed(offset: pos, tag: pixelTag, reason: "expected a fragment item (FFFE,E000), found \(t)")
            }
            guard length != 0xFFFF_FFFF else {
                throw .malformed(offset: pos, tag: pixelTag, reason: "fragment of undefined length")
            }
            let n = Int(length)
            if n > limits.maxElementLength {
                throw .limitExceeded(offset: pos, tag: pixelTag, limit: "fragment length", value: n, maximum: limits.maxElementLength)
            }
            let itemStart = pos
            try need(pos + 8, n, end: end, tag: pixelTag)
            let valueStart = pos + 8
            if first {
                first = false
                var i = valueStart
                while i + 4 <= valueStart + n {
                    offsetTable.append(u32(i, le: true))
                    i += 4
                }
            } else {
                if fragments.count >= limits.maxFragments {
                    throw .limitExceeded(offset: pos, tag: pixelTag, limit: "fragment count", value: fragments.count + 1, maximum: limits.maxFragments)
                }
                let base = firstFragmentTag ?? itemStart
                firstFragmentTag = base
                fragmentOffsets.append(UInt32(truncatingIfNeeded: itemStart - base))
                fragments.append(Data(bytes[valueStart..<(valueStart + n)]))
            }
            pos = valueStart + n
        }
        return EncapsulatedPixelData(basicOffsetTable: offsetTable, fragments: fragments, fragmentOffsets: fragmentOffsets)
    }
}
