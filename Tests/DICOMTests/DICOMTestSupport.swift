import DICOM
import Foundation
import TestSupport

/// Test helpers: fixture loading and a tiny DICOM byte builder for synthetic cases.
enum DICOMFixture {
    static func data(_ name: String) throws -> Data { try Fixtures.data("dicom/" + name) }

    static func parse(_ name: String) throws -> DICOMFile { try DICOMParser.parse(try data(name)) }

    /// Every `.dcm` under Tests/Fixtures/dicom (charset files included).
    static var all: [URL] { Fixtures.files(in: "dicom", extensions: ["dcm"]) }
}

/// Builds little- or big-endian data set bytes element by element.
struct DataSetBuilder {
    var bytes: [UInt8] = []
    var littleEndian = true

    mutating func u16(_ v: UInt16) {
        if littleEndian { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] } else { bytes += [UInt8(v >> 8), UInt8(v & 0xFF)] }
    }

    mutating func u32(_ v: UInt32) {
        let b = [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
        bytes += littleEndian ? b : b.reversed()
    }

    mutating func tag(_ g: UInt16, _ e: UInt16) { u16(g); u16(e) }

    /// Explicit VR element with `value` bytes (length from the value unless given).
    mutating func explicit(_ g: UInt16, _ e: UInt16, _ vr: String, _ value: [UInt8], length: UInt32? = nil) {
        tag(g, e)
        bytes += Array(vr.utf8)
        let n = length ?? UInt32(value.count)
        if ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"].contains(vr) {
            bytes += [0, 0]
            u32(n)
        } else {
            u16(UInt16(truncatingIfNeeded: n))
        }
        bytes += value
    }

    mutating func explicit(_ g: UInt16, _ e: UInt16, _ vr: String, text: String) {
        var v = Array(text.utf8)
        if v.count % 2 == 1 { v.append(vr == "UI" ? 0 : 0x20) }
        explicit(g, e, vr, v)
    }

    /// Implicit VR element.
    mutating func implicit(_ g: UInt16, _ e: UInt16, _ value: [UInt8], length: UInt32? = nil) {
        tag(g, e)
        u32(length ?? UInt32(value.count))
        bytes += value
    }

    mutating func item(length: UInt32 = 0xFFFF_FFFF) { tag(0xFFFE, 0xE000); u32(length) }
    mutating func itemEnd() { tag(0xFFFE, 0xE00D); u32(0) }
    mutating func sequenceEnd() { tag(0xFFFE, 0xE0DD); u32(0) }

    var data: Data { Data(bytes) }

    /// A Part 10 file: preamble, DICM, file meta with `transferSyntax`, then this builder's bytes.
    func part10(transferSyntax: String) -> Data {
        var meta = DataSetBuilder()
        var ts = Array(transferSyntax.utf8)
        if ts.count % 2 == 1 { ts.append(0) }
        var rest = DataSetBuilder()
        rest.explicit(0x0002, 0x0001, "OB", [0, 1])
        rest.explicit(0x0002, 0x0010, "UI", ts)
        meta.explicit(0x0002, 0x0000, "UL", [UInt8(rest.bytes.count & 0xFF), UInt8(rest.bytes.count >> 8), 0, 0])
        var out = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        out += meta.bytes + rest.bytes + bytes
        return Data(out)
    }
}

func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
