import DICOM
import Foundation
import Testing
import TestSupport

// Expected names are what pydicom 3.0.2 returns: `str(pydicom.dcmread(path).PatientName)`
// (computed once with /work/venv/bin/python and pasted here).
@Suite(.onComputeThreads) struct CharacterSetTests {
    static let expected: [(file: String, name: String)] = [
        ("chrArab.dcm", "قباني^لنزار"),
        ("chrFren.dcm", "Buc^Jérôme"),
        ("chrGerm.dcm", "Äneas^Rüdiger"),
        ("chrGreek.dcm", "Διονυσιος"),
        ("chrH31.dcm", "Yamada^Tarou=山田^太郎=やまだ^たろう"),
        ("chrH32.dcm", "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"),
        ("chrHbrw.dcm", "שרון^דבורה"),
        ("chrI2.dcm", "Hong^Gildong=洪^吉洞=홍^길동"),
        ("chrRuss.dcm", "Люкceмбypг"),
        ("chrX1.dcm", "Wang^XiaoDong=王^小東"),
        ("chrX2.dcm", "Wang^XiaoDong=王^小东"),
    ]

    @Test(arguments: expected.map(\.file))
    func patientNameMatchesPydicom(file: String) throws {
        let name = try #require(Self.expected.first { $0.file == file }?.name)
        let ds = try DICOMFixture.parse("charset/" + file).dataSet
        #expect(ds.string(.patientName) == name)
    }

    @Test func itemsInheritOrOverrideTheCharacterSet() throws {
        // pydicom: chrSQEncoding.dcm is ISO_IR 192 at top level; a sequence item declares
        // ISO 2022 IR 13 / IR 87 itself: PatientName 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう'; (0032,1032) 'Doctor^Who^^MD'.
        let ds = try DICOMFixture.parse("charset/chrSQEncoding.dcm").dataSet
        #expect(ds.characterSet.terms == ["ISO_IR 192"])
        #expect(ds.string(Tag(0x0032, 0x1032)) == "Doctor^Who^^MD")
        let items = ds.sortedElements.compactMap(\.items).flatMap { $0 }
        let named = try #require(items.first { $0.contains(.patientName) })
        #expect(named.characterSet.terms == ["ISO 2022 IR 13", "ISO 2022 IR 87"])
        #expect(named.string(.patientName) == "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう")
    }

    @Test func inheritedCharacterSetInSyntheticItem() throws {
        var b = DataSetBuilder()
        b.explicit(0x0008, 0x0005, "CS", text: "ISO_IR 100")
        b.explicit(0x0008, 0x1140, "SQ", [], length: 0xFFFF_FFFF)
        b.item()
        b.explicit(0x0010, 0x0010, "PN", [0x4A, 0xE9, 0x72, 0xF4, 0x6D, 0x65])  // "Jérôme" in Latin-1
        b.itemEnd()
        b.sequenceEnd()
        let ds = try DICOMParser.parse(b.data).dataSet
        #expect(ds.sequence(Tag(0x0008, 0x1140))?.first?.string(.patientName) == "Jérôme")
    }

    @Test func decoding() {
        let latin1 = SpecificCharacterSet(terms: [])
        #expect(latin1.decode(Data([0x41, 0xE9])) == "Aé")  // pydicom decodes the default as Latin-1
        let utf8 = SpecificCharacterSet(terms: ["ISO_IR 192"])
        #expect(utf8.decode(Data("Grüße".utf8)) == "Grüße")
        let cyr = SpecificCharacterSet(terms: ["ISO_IR 144"])
        #expect(cyr.decode(Data([0xBB, 0xEE])) == "Лю")
        let latin2 = SpecificCharacterSet(terms: ["ISO_IR 101"])
        #expect(latin2.decode(Data([0xA1, 0xB1])) == "Ąą")
        let unknown = SpecificCharacterSet(terms: ["NOT A CHARSET"])
        #expect(unknown.decode(Data([0x41, 0xE9])) == "Aé")
        // Misspelled term corrected as pydicom does.
        #expect(SpecificCharacterSet(terms: ["ISO IR 100"]).decode(Data([0xE9])) == "é")
        // Code extension to Greek (ESC - F), then a delimiter returns to the first set.
        let ext = SpecificCharacterSet(terms: ["", "ISO 2022 IR 126"])
        #expect(ext.decode(Data([0x41, 0x1B, 0x2D, 0x46, 0xC4, 0xE9, 0x0D, 0x42])) == "AΔι\rB")
        // An escape to a set the data set does not declare falls back to the first set.
        let undeclared = SpecificCharacterSet(terms: ["ISO_IR 100"])
        #expect(undeclared.decode(Data([0x1B, 0x2D, 0x4C, 0xBB])).hasSuffix("»"))
        // Invalid UTF-8 never fails.
        #expect(utf8.decode(Data([0xFF, 0x41])).hasSuffix("A"))
        #expect(SpecificCharacterSet(value: Data("ISO_IR 100\\ISO 2022 IR 87 ".utf8)).terms == ["ISO_IR 100", "ISO 2022 IR 87"])
    }
}
