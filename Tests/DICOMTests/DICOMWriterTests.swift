import DICOM
import Foundation
import TestSupport
import Testing

/// `DICOMWriter`: Part 10 structure, padding, length fields, sequences, and a round trip of every VR
/// through our own parser; `DICOMWriteError` for values that break their VR's rules.
@Suite(.onComputeThreads) struct DICOMWriterTests {
    static let sopClass = "1.2.840.10008.5.1.4.1.1.7"
    static let sopInstance = "2.25.1234567890123"

    /// A data set with one element of every VR (tags are arbitrary standard ones of that VR where it
    /// matters little: the writer takes the VR from the element).
    static func everyVR() throws -> DataSet {
        var ds = DataSet()
        ds.set(.sopClassUID, .UI, sopClass)
        ds.set(.sopInstanceUID, .UI, sopInstance)
        ds.set(Tag(0x0002, 0x0010), .UI, "1.2.3")  // group 0002 in the data set is ignored
        ds.set(Tag(0x0008, 0x0000), .UL, uint32: 99)  // a stale group length is not written
        ds.set(Tag(0x0008, 0x0054), .AE, ["STORE_SCP", "AE2"])
        ds.set(Tag(0x0010, 0x1010), .AS, "045Y")
        try ds.set(Tag(0x0028, 0x0009), .AT, integers: [0x0018_1063, 0x7FE0_0010])
        ds.set(Tag(0x0008, 0x0008), .CS, ["ORIGINAL", "PRIMARY", "AXIAL"])
        ds.set(Tag(0x0008, 0x0020), .DA, "20240229")
        ds.set(Tag(0x0028, 0x1050), .DS, ["40", "-1.5e3", ".25"])
        ds.set(Tag(0x0008, 0x002A), .DT, "20240229123456.123456+0100")
        try ds.set(Tag(0x0018, 0x9087), .FD, floats: [0.1, -2.5e-300])
        try ds.set(Tag(0x0040, 0x9224), .FL, floats: [1.5])
        ds.set(Tag(0x0020, 0x0013), .IS, "-2147483648")
        ds.set(Tag(0x0008, 0x1030), .LO, "Brain MRI – follow up")  // non-ASCII: a charset VR
        ds.set(.specificCharacterSet, .CS, "ISO_IR 192")  // also decodes this data set's text as UTF-8
        ds.set(Tag(0x0010, 0x4000), .LT, "line one\r\nline two\\with a backslash")
        ds.set(Tag(0x0009, 0x0010), .LO, "PRIVATE CREATOR")
        ds.set(Tag(0x0009, 0x1001), .OB, bytes: Data([1, 2, 3]))
        ds.set(Tag(0x0009, 0x1002), .OD, bytes: Data(repeating: 7, count: 16))
        ds.set(Tag(0x0009, 0x1003), .OF, bytes: Data(repeating: 8, count: 8))
        try ds.set(Tag(0x0009, 0x1004), .OL, integers: [1, 4_000_000_000])
        try ds.set(Tag(0x0009, 0x1005), .OV, integers: [Int.max])
        try ds.set(Tag(0x0009, 0x1006), .OW, integers: [1, 65535])
        ds.set(Tag(0x0010, 0x0010), .PN, "Müller^Anna^^Dr=ミュラー^アンナ")
        ds.set(Tag(0x0008, 0x0050), .SH, "ACC-1")
        try ds.set(Tag(0x0018, 0x6020), .SL, integers: [-5, Int(Int32.max)])
        try ds.set(Tag(0x0028, 0x0106), .SS, integers: [-32768])
        ds.set(Tag(0x0008, 0x0081), .ST, "Main St 1")
        try ds.set(Tag(0x0009, 0x1007), .SV, integers: [Int.min])
        ds.set(Tag(0x0008, 0x0030), .TM, "235960.5")
        ds.set(Tag(0x0008, 0x0119), .UC, ["a long code value", "second"])
        ds.set(Tag(0x0008, 0x0120), .UR, "https://example.org/x?y=1")
        try ds.set(Tag(0x0028, 0x0010), .US, integers: [512])
        try ds.set(Tag(0x0009, 0x100A), .UL, integers: [4_000_000_000])
        ds.set(Tag(0x0009, 0x1008), .UN, bytes: Data([9, 9, 9]))
        ds.set(Tag(0x0040, 0xA160), .UT, String(repeating: "long text ", count: 8000))
        try ds.set(Tag(0x0009, 0x1009), .UV, integers: [Int.max])
        var inner = DataSet()
        inner.set(Tag(0x0008, 0x0100), .SH, "126000")
        inner.set(Tag(0x0008, 0x0102), .SH, "DCM")
        var nested = DataSet()
        nested.set(Tag(0x0008, 0x0104), .LO, "nested")
        inner.set(Tag(0x0040, 0xA043), items: [nested, DataSet()])
        ds.set(Tag(0x0040, 0xA730), items: [inner, DataSet()])
        ds.set(Tag(0x0008, 0x1111), items: [])
        return ds
    }

    @Test(arguments: [DICOMWriter.SequenceLength.undefined, .defined])
    func roundTripOfEveryVR(sequences: DICOMWriter.SequenceLength) throws {
        let ds = try Self.everyVR()
        let data = try DICOMWriter.part10(ds, options: DICOMWriter.Options(sequenceLength: sequences))
        let file = try DICOMParser.parse(data)
        #expect(file.problems.isEmpty)
        #expect(file.transferSyntax == .explicitVRLittleEndian)
        let back = file.dataSet
        #expect(Set(VR.allCases).subtracting(back.elements.values.map(\.vr)).isEmpty)
        #expect(back[Tag(0x0002, 0x0010)] == nil && back[Tag(0x0008, 0x0000)] == nil)
        for original in ds.sortedElements where original.tag.group != 0x0002 && !original.tag.isGroupLength {
            let e = try #require(back[original.tag], "\(original.tag) lost")
            #expect(e.vr == original.vr, "\(original.tag)")
            switch original.value {
            case .bytes(let bytes) where original.vr.isText:
                #expect(back.strings(original.tag) == ds.strings(original.tag), "\(original.tag) \(original.vr)")
                #expect(e.bytes?.count == bytes.count + bytes.count % 2)
            case .bytes(let bytes):
                // Binary values come back byte for byte, plus a NUL when the length was odd.
                #expect(e.bytes == bytes + (bytes.count % 2 == 1 ? Data([0]) : Data()), "\(original.tag) \(original.vr)")
            case .sequence(let items):
                #expect(e.items?.count == items.count)
            case .encapsulated:
                Issue.record("not used here")
            }
        }
        let item = try #require(back.sequence(Tag(0x0040, 0xA730))?.first)
        #expect(item.string(Tag(0x0008, 0x0100)) == "126000")
        #expect(item.sequence(Tag(0x0040, 0xA043))?.first?.string(Tag(0x0008, 0x0104)) == "nested")
        #expect(item.sequence(Tag(0x0040, 0xA043))?.count == 2)
        #expect(back.sequence(Tag(0x0008, 0x1111))?.isEmpty == true)
        #expect(back.ints(Tag(0x0028, 0x0009)) == [0x0018, 0x1063, 0x7FE0, 0x0010])
        #expect(back.doubles(Tag(0x0018, 0x9087)) == [0.1, -2.5e-300])
        #expect(back.string(Tag(0x0010, 0x0010)) == "Müller^Anna^^Dr=ミュラー^アンナ")
        #expect(back.string(Tag(0x0008, 0x1030)) == "Brain MRI – follow up")
        #expect(back.string(Tag(0x0010, 0x4000)) == "line one\r\nline two\\with a backslash")
        #expect(back.ints(Tag(0x0009, 0x1007)) == [Int.min] && back.ints(Tag(0x0009, 0x1009)) == [Int.max])
    }

    @Test func fileMetaInformation() throws {
        var ds = DataSet()
        ds.set(.sopClassUID, .UI, Self.sopClass)
        ds.set(.sopInstanceUID, .UI, Self.sopInstance)
        let data = try DICOMWriter.part10(ds, options: DICOMWriter.Options(sourceApplicationEntityTitle: "MEDINFER"))
        let b = [UInt8](data)
        #expect(b.prefix(128).allSatisfy { $0 == 0 } && Array(b[128..<132]) == Array("DICM".utf8))
        // (0002,0000) UL 4 <n>: n counts every byte of group 0002 after it.
        #expect(Array(b[132..<140]) == [0x02, 0x00, 0x00, 0x00, 0x55, 0x4C, 0x04, 0x00])
        let groupLength = Int(b[140]) | Int(b[141]) << 8 | Int(b[142]) << 16 | Int(b[143]) << 24
        let file = try DICOMParser.parse(data)
        let meta = file.fileMetaInformation
        let lastMeta = try #require(meta.sortedElements.last)
        let firstDataSetOffset = 144 + groupLength
        #expect(b[firstDataSetOffset] == 0x08 && b[firstDataSetOffset + 1] == 0x00, "group 0008 right after the meta")
        #expect(lastMeta.tag == .sourceApplicationEntityTitle)
        #expect(meta[.fileMetaInformationVersion]?.bytes == Data([0, 1]))
        // OB in group 0002: explicit VR with reserved bytes and a 32-bit length.
        #expect(Array(b[144..<158]) == [0x02, 0x00, 0x01, 0x00, 0x4F, 0x42, 0, 0, 2, 0, 0, 0, 0, 1])
        #expect(meta.string(.mediaStorageSOPClassUID) == Self.sopClass)
        #expect(meta.string(.mediaStorageSOPInstanceUID) == Self.sopInstance)
        #expect(meta.string(.transferSyntaxUID) == "1.2.840.10008.1.2.1")
        #expect(meta.string(.implementationClassUID) == DICOMWriter.implementationClassUID)
        #expect(meta.string(.implementationVersionName) == DICOMWriter.implementationVersionName)
        #expect(meta.string(.sourceApplicationEntityTitle) == "MEDINFER")
        #expect(file.dataSet.string(.sopInstanceUID) == Self.sopInstance)
    }

    @Test func paddingAndLengthFields() throws {
        var ds = DataSet()
        ds.set(Tag(0x0008, 0x0016), .UI, "1.2.3")  // odd: NUL
        ds.set(Tag(0x0008, 0x0060), .CS, "MRI")  // odd: space
        ds.set(Tag(0x0009, 0x1001), .OB, bytes: Data([1]))  // odd: NUL
        ds.set(Tag(0x0040, 0xA160), .UT, "abc")  // 32-bit length
        let b = [UInt8](try DICOMWriter.encode(ds))
        // Elements in tag order; the writer sorts whatever order they were set in.
        #expect(b == [0x08, 0x00, 0x16, 0x00, 0x55, 0x49, 6, 0] + Array("1.2.3".utf8) + [0]
            + [0x08, 0x00, 0x60, 0x00, 0x43, 0x53, 4, 0] + Array("MRI ".utf8)
            + [0x09, 0x00, 0x01, 0x10, 0x4F, 0x42, 0, 0, 2, 0, 0, 0, 1, 0]
            + [0x40, 0x00, 0x60, 0xA1, 0x55, 0x54, 0, 0, 4, 0, 0, 0] + Array("abc ".utf8))
    }

    @Test func sequenceDelimiters() throws {
        var item = DataSet()
        item.set(Tag(0x0008, 0x0100), .SH, "AB")
        var ds = DataSet()
        ds.set(Tag(0x0040, 0xA730), items: [item])
        let undefined = [UInt8](try DICOMWriter.encode(ds, sequenceLength: .undefined))
        #expect(undefined == [0x40, 0x00, 0x30, 0xA7, 0x53, 0x51, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
                              0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF,
                              0x08, 0x00, 0x00, 0x01, 0x53, 0x48, 2, 0, 0x41, 0x42,
                              0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0,
                              0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0])
        let defined = [UInt8](try DICOMWriter.encode(ds, sequenceLength: .defined))
        #expect(defined == [0x40, 0x00, 0x30, 0xA7, 0x53, 0x51, 0, 0, 18, 0, 0, 0,
                            0xFE, 0xFF, 0x00, 0xE0, 10, 0, 0, 0,
                            0x08, 0x00, 0x00, 0x01, 0x53, 0x48, 2, 0, 0x41, 0x42])
    }

    /// Values that break their VR's rules, with the path the error must name.
    static let invalid: [(VR, String, String)] = [
        (.LO, String(repeating: "x", count: 65), "too long"),
        (.SH, "seventeen chars!!", "too long"),
        (.CS, "lower", "upper-case"),
        (.CS, "ÄB", "repertoire"),
        (.DA, "2024-01-01", "date"),
        (.DA, "20241301", "date"),
        (.TM, "2500", "time"),
        (.TM, "12:30", "time"),
        (.DT, "2024010112345", "time"),
        (.DS, "abc", "decimal"),
        (.DS, "12345678901234567", "too long"),
        (.IS, "1.5", "integer"),
        (.IS, "2147483648", "integer"),
        (.UI, "1.02.3", "leading zero"),
        (.UI, "1.2.a", "UID"),
        (.UI, "1." + String(repeating: "2", count: 63), "too long"),
        (.AS, "12Y", "nnnD"),
        (.PN, "a=b=c=d", "component groups"),
        (.PN, "a^b^c^d^e^f", "name components"),
        (.LO, "tab\there", "control character"),
        (.ST, String(repeating: "s", count: 1025), "too long"),
        (.AE, "  ", "only spaces"),
        (.UR, " http://x", "leading spaces"),
    ]

    @Test func valuesBreakingTheirVRAreRejected() throws {
        for (vr, value, reason) in Self.invalid {
            var code = DataSet()
            code.set(Tag(0x0008, 0x0104), vr, value)
            var ds = DataSet()
            ds.set(Tag(0x0040, 0xA730), items: [DataSet(), code])
            do {
                _ = try DICOMWriter.encode(ds)
                Issue.record("\(vr) '\(value)' was accepted")
            } catch {
                #expect(error.description.contains("(0040,A730)[1].(0008,0104)"), "\(error)")
                #expect(error.description.contains(reason) || error.description.contains("at most"), "\(vr) '\(value)': \(error)")
            }
        }
    }

    @Test func lengthFieldsAndValueKindsAreChecked() throws {
        var ds = DataSet()
        try ds.set(Tag(0x0040, 0x9224), .FL, floats: [Double](repeating: 1, count: 16384 + 1))  // 65540 bytes
        #expect(throws: DICOMWriteError.valueTooLong(tag: Tag(0x0040, 0x9224), path: "(0040,9224)", vr: .FL,
                                                    length: 65540, maximum: 65535)) { try DICOMWriter.encode(ds) }
        ds = DataSet()
        ds.set(Tag(0x0028, 0x0010), .US, bytes: Data([1, 2, 3]))
        #expect(throws: DICOMWriteError.self) { try DICOMWriter.encode(ds) }
        ds = DataSet()
        ds.set(Tag(0x0040, 0xA730), .SQ, bytes: Data())
        #expect(throws: DICOMWriteError.vrMismatch(tag: Tag(0x0040, 0xA730), path: "(0040,A730)", vr: .SQ,
                                                  reason: "SQ needs items, not bytes")) { try DICOMWriter.encode(ds) }
        #expect(throws: DICOMWriteError.self) { try ds.set(Tag(0x0028, 0x0010), .US, integers: [65536]) }
        #expect(throws: DICOMWriteError.self) { try ds.set(Tag(0x0028, 0x0010), .SS, integers: [-32769]) }
        #expect(throws: DICOMWriteError.self) { try ds.set(Tag(0x0028, 0x0010), .LO, integers: [1]) }
        #expect(throws: DICOMWriteError.missingAttribute(.sopClassUID, keyword: "SOPClassUID")) {
            try DICOMWriter.part10(DataSet())
        }
    }

    @Test func uidGeneration() throws {
        let g = UIDGenerator()
        let a = g.make(), b = g.make()
        #expect(a != b && a.hasPrefix("2.25.") && a.count <= 64)
        for uid in [a, b] {
            var ds = DataSet()
            ds.set(.sopInstanceUID, .UI, uid)
            _ = try DICOMWriter.encode(ds)  // a valid UI value
        }
        let uuid = UUID(uuidString: "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF")!
        #expect(g.make(uuid: uuid) == "2.25.340282366920938463463374607431768211455")
        let digest = [UInt8](repeating: 0xAB, count: 32)
        #expect(g.make(digest: digest) == g.make(digest: digest) && g.make(digest: digest) != nil)
        #expect(g.make(digest: [1, 2, 3]) == nil)

        let long = try UIDGenerator(root: "1.2.826.0.1.3680043.10.999.12345678.")
        let uid = long.make()
        #expect(uid.hasPrefix(long.root) && uid.count == 64, "\(uid)")
        for bad in ["1.2.3", "1.02.", "1..2.", "a.b.", "1." + String(repeating: "1", count: 44) + "."] {
            #expect(throws: DICOMWriteError.self, "\(bad)") { try UIDGenerator(root: bad) }
        }
    }

    @Test func decimalStrings() {
        for v in [0.0, 1, -1, 0.5, 0.93123456789012345, 1e-7, -3.5e300, 1.2345678901234568e17, 0.1 + 0.2] {
            guard let text = DecimalString.format(v) else {
                Issue.record("\(v) gave no decimal string")
                continue
            }
            #expect(text.count <= 16, "\(v) -> \(text)")
            let back = Double(text) ?? .nan
            #expect(abs(back - v) <= abs(v) * 1e-10, "\(v) -> \(text)")
        }
        #expect(DecimalString.format(0.5) == "0.5" && DecimalString.format(2) == "2")
        #expect(DecimalString.format(.nan) == nil && DecimalString.format(.infinity) == nil)
    }
}
