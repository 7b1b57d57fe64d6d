public import Foundation

/// Reads DICOM Part 10 files and bare data sets from untrusted bytes.
///
/// Follows pydicom's reading rules where files bend the standard: implicit-VR elements or
/// items inside explicit-VR data sets, UN of undefined length read as an implicit VR LE
/// sequence, UN of a known public tag given its dictionary VR, file meta without a transfer
/// syntax (the encoding is sniffed). Every length is checked against the bytes left and
/// against `ParseLimits`; malformed input gives a `DICOMError` with byte offset and tag.
public enum DICOMParser {
    /// Parses a Part 10 file (128-byte preamble, "DICM", file meta) or a bare data set.
    ///
    /// Offsets in errors and in `DataElement.offset` are into `data`, or into the inflated
    /// data set for Deflated Explicit VR Little Endian.
    public static func parse(_ data: Data, limits: ParseLimits = .default) throws(DICOMError) -> DICOMFile {
        let bytes = [UInt8](data)
        var pos = 0
        var hasPreamble = false
        if bytes.count >= 132, bytes[128] == 0x44, bytes[129] == 0x49, bytes[130] == 0x43, bytes[131] == 0x4D {
            pos = 132
            hasPreamble = true
        } else if !looksLikeBareDataSet(bytes, at: 0) {
            throw .notDICOM(reason: "no \"DICM\" at byte 128 and the first bytes are not a plausible data element")
        }

        let reader = ElementReader(bytes: bytes, limits: limits)
        // File meta (group 0002): explicit VR little endian, read until the group changes
        // (the group length is not trusted, as pydicom).
        var meta = DataSet()
        if pos + 4 <= bytes.count, reader.u16(pos, le: true) == 0x0002 {
            let implicitMeta = reader.detectImplicit(at: pos, end: bytes.count, assumed: false, le: true, inSequence: false)
            meta = try reader.readDataSet(
                at: &pos, end: bytes.count, untilItemDelimiter: false, implicit: implicitMeta, le: true,
                depth: 0, charset: .default, parentPixelRepresentation: nil, onlyGroup2: true)
        }

        var syntax: TransferSyntax
        let uid = meta.string(.transferSyntaxUID)?.trimmingCharacters(in: .whitespaces) ?? ""
        if !uid.isEmpty {
            syntax = TransferSyntax.lookup(uid)
        } else {
            syntax = sniffSyntax(bytes, at: pos)
        }

        var body = bytes
        var bodyStart = pos
        if syntax.isDeflated {
            body = try inflateRaw(bytes, from: pos, limit: limits.maxInflatedSize)
            bodyStart = 0
        }
        let bodyReader = syntax.isDeflated ? ElementReader(bytes: body, limits: limits) : reader
        bodyReader.elementCount = reader.elementCount
        let le = syntax.isLittleEndian
        // As pydicom: the top-level data set may switch between implicit and explicit VR.
        let implicit = bodyReader.detectImplicit(
            at: bodyStart, end: body.count, assumed: !syntax.isExplicitVR, le: le, inSequence: false)
        var p = bodyStart
        let dataSet = try bodyReader.readDataSet(
            at: &p, end: body.count, untilItemDelimiter: false, implicit: implicit, le: le,
            depth: 0, charset: .default, parentPixelRepresentation: nil, onlyGroup2: false, lenient: true)
        var file = DICOMFile(hasPreamble: hasPreamble, fileMetaInformation: meta, dataSet: dataSet, transferSyntax: syntax)
        file.problems = reader.problems + (syntax.isDeflated ? bodyReader.problems : [])
        return file
    }

    /// True when `header` (the first bytes of a file; 132 or more recommended) looks like DICOM:
    /// "DICM" at byte 128, or a bare data set whose first element is a plausible group 0000-0028
    /// element with a sane implicit or explicit VR header. False for PNG, JPEG and other images.
    public static func looksLikeDICOM(_ header: Data) -> Bool {
        let b = [UInt8](header.prefix(256))
        if b.count >= 132, b[128] == 0x44, b[129] == 0x49, b[130] == 0x43, b[131] == 0x4D { return true }
        return looksLikeBareDataSet(b, at: 0)
    }

    static func looksLikeBareDataSet(_ b: [UInt8], at p: Int) -> Bool {
        guard b.count - p >= 8 else { return false }
        let groupLE = UInt16(b[p]) | UInt16(b[p + 1]) << 8
        let groupBE = UInt16(b[p + 1]) | UInt16(b[p]) << 8
        let v0 = b[p + 4], v1 = b[p + 5]
        let explicitVR = VR(rawValue: String(decoding: [v0, v1], as: UTF8.self))
        func plausibleGroup(_ g: UInt16) -> Bool { g & 1 == 0 && g <= 0x0028 }
        if let vr = explicitVR {
            guard plausibleGroup(groupLE) || plausibleGroup(groupBE) else { return false }
            if vr.hasLongLength {
                return b[p + 6] == 0 && b[p + 7] == 0
            }
            return true
        }
        guard plausibleGroup(groupLE) else { return false }
        let length = UInt32(b[p + 4]) | UInt32(b[p + 5]) << 8 | UInt32(b[p + 6]) << 16 | UInt32(b[p + 7]) << 24
        return length == 0xFFFF_FFFF || length < 0x1_0000
    }

    /// pydicom's rule for data without a transfer syntax: a valid VR at bytes 4-5 means explicit
    /// VR, and then a first group >= 1024 read little endian means big endian.
    static func sniffSyntax(_ b: [UInt8], at p: Int) -> TransferSyntax {
        guard b.count - p >= 6 else { return .implicitVRLittleEndian }
        let group = UInt16(b[p]) | UInt16(b[p + 1]) << 8
        guard VR(rawValue: String(decoding: [b[p + 4], b[p + 5]], as: UTF8.self)) != nil else {
            return .implicitVRLittleEndian
        }
        return group >= 1024 ? .explicitVRBigEndian : .explicitVRLittleEndian
    }
}
