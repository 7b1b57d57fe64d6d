import Foundation

/// Element-level Explicit VR Little Endian encoding (PS3.5 7.1.2, 7.5). Binary values in a
/// `DataElement` are already little endian (see `DataElement`), so they are copied as they are.
struct ExplicitLittleEndianEncoder {
    var bytes: [UInt8] = []
    let sequenceLength: DICOMWriter.SequenceLength

    init(sequenceLength: DICOMWriter.SequenceLength) { self.sequenceLength = sequenceLength }

    mutating func u16(_ v: UInt16) { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    mutating func u32(_ v: UInt32) { u16(UInt16(v & 0xFFFF)); u16(UInt16(v >> 16)) }
    mutating func tag(_ t: Tag) { u16(t.group); u16(t.element) }

    /// Writes the elements of `dataSet` in ascending tag order. Group lengths are skipped (see
    /// `DICOMWriter`); group 0002 only when writing the file meta.
    mutating func write(_ dataSet: DataSet, path: String, includeGroup2: Bool) throws(DICOMWriteError) {
        for e in dataSet.sortedElements {
            if e.tag.group == 0x0002 ? !includeGroup2 : e.tag.isGroupLength { continue }
            try write(e, path: path.isEmpty ? "\(e.tag)" : "\(path).\(e.tag)")
        }
    }

    private mutating func header(_ t: Tag, _ vr: VR, length: UInt32) {
        tag(t)
        bytes += Array(vr.rawValue.utf8)
        if vr.hasLongLength {
            u16(0)
            u32(length)
        } else {
            u16(UInt16(length))
        }
    }

    mutating func write(_ e: DataElement, path: String) throws(DICOMWriteError) {
        switch e.value {
        case .bytes(let data):
            guard e.vr != .SQ else { throw .vrMismatch(tag: e.tag, path: path, vr: e.vr, reason: "SQ needs items, not bytes") }
            var value = [UInt8](data)
            try VRValidator.check(value, vr: e.vr, tag: e.tag, path: path)
            if value.count % 2 == 1 { value.append(e.vr.paddingByte) }
            let maximum = e.vr.hasLongLength ? Int(UInt32.max - 1) : Int(UInt16.max)
            guard value.count <= maximum else {
                throw .valueTooLong(tag: e.tag, path: path, vr: e.vr, length: value.count, maximum: maximum)
            }
            header(e.tag, e.vr, length: UInt32(value.count))
            bytes += value
        case .sequence(let items):
            guard e.vr == .SQ else { throw .vrMismatch(tag: e.tag, path: path, vr: e.vr, reason: "items need VR SQ") }
            try writeSequence(e.tag, items, path: path)
        case .encapsulated(let pixels):
            guard e.vr == .OB || e.vr == .OW else {
                throw .vrMismatch(tag: e.tag, path: path, vr: e.vr, reason: "encapsulated pixel data needs VR OB or OW")
            }
            // PS3.5 A.4: always undefined length; the Basic Offset Table is the first item.
            header(e.tag, e.vr, length: 0xFFFF_FFFF)
            tag(.item)
            u32(UInt32(pixels.basicOffsetTable.count * 4))
            for o in pixels.basicOffsetTable { u32(o) }
            for f in pixels.fragments {
                tag(.item)
                u32(UInt32(f.count + f.count % 2))
                bytes += f
                if f.count % 2 == 1 { bytes.append(0) }
            }
            tag(.sequenceDelimitation)
            u32(0)
        }
    }

    private mutating func writeSequence(_ t: Tag, _ items: [DataSet], path: String) throws(DICOMWriteError) {
        switch sequenceLength {
        case .undefined:
            header(t, .SQ, length: 0xFFFF_FFFF)
            for (i, item) in items.enumerated() {
                tag(.item)
                u32(0xFFFF_FFFF)
                try write(item, path: "\(path)[\(i)]", includeGroup2: false)
                tag(.itemDelimitation)
                u32(0)
            }
            tag(.sequenceDelimitation)
            u32(0)
        case .defined:
            var body = ExplicitLittleEndianEncoder(sequenceLength: sequenceLength)
            for (i, item) in items.enumerated() {
                var content = ExplicitLittleEndianEncoder(sequenceLength: sequenceLength)
                try content.write(item, path: "\(path)[\(i)]", includeGroup2: false)
                body.tag(.item)
                body.u32(UInt32(content.bytes.count))
                body.bytes += content.bytes
            }
            guard body.bytes.count < Int(UInt32.max) else {
                throw .valueTooLong(tag: t, path: path, vr: .SQ, length: body.bytes.count, maximum: Int(UInt32.max - 1))
            }
            header(t, .SQ, length: UInt32(body.bytes.count))
            bytes += body.bytes
        }
    }
}
