import DICOM
import Foundation
@testable import Imaging
import Testing
import TestSupport

/// `Testing` has a `Tag` too; the DICOM tests mean DICOM's.
typealias Tag = DICOM.Tag

// MARK: - Hand-built data sets for the DICOM pixel tests

/// Builds small in-memory data sets (no parser involved) so each test states its attributes.
struct SyntheticDataSet {
    var elements: [DataElement] = []

    /// An image pixel module: MONOCHROME2 unless told otherwise.
    init(rows: Int, columns: Int, bitsAllocated: Int, bitsStored: Int? = nil, signed: Bool = false,
         samplesPerPixel: Int = 1, photometric: String = "MONOCHROME2", frames: Int? = nil)
    {
        us(.rows, rows)
        us(.columns, columns)
        us(.bitsAllocated, bitsAllocated)
        us(.bitsStored, bitsStored ?? bitsAllocated)
        us(.highBit, (bitsStored ?? bitsAllocated) - 1)
        us(.pixelRepresentation, signed ? 1 : 0)
        us(.samplesPerPixel, samplesPerPixel)
        text(.photometricInterpretation, .CS, photometric)
        if let frames { text(.numberOfFrames, .IS, String(frames)) }
    }

    init() {}

    mutating func set(_ e: DataElement) {
        elements.removeAll { $0.tag == e.tag }
        elements.append(e)
    }

    mutating func remove(_ tag: Tag) { elements.removeAll { $0.tag == tag } }

    mutating func us(_ tag: Tag, _ values: Int...) { words(tag, .US, values) }
    mutating func ss(_ tag: Tag, _ values: Int...) { words(tag, .SS, values) }

    /// 16-bit little-endian words with VR `vr` (US, SS, OW).
    mutating func words(_ tag: Tag, _ vr: VR, _ values: [Int]) {
        var d = Data()
        for v in values { d.append(contentsOf: [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)]) }
        set(DataElement(tag: tag, vr: vr, value: .bytes(d), offset: 0))
    }

    /// Text padded to even length with a space (as a writer would).
    mutating func text(_ tag: Tag, _ vr: VR, _ value: String) {
        var d = Data(value.utf8)
        if d.count % 2 == 1 { d.append(0x20) }
        set(DataElement(tag: tag, vr: vr, value: .bytes(d), offset: 0))
    }

    mutating func bytes(_ tag: Tag, _ vr: VR, _ value: [UInt8]) {
        set(DataElement(tag: tag, vr: vr, value: .bytes(Data(value)), offset: 0))
    }

    mutating func sequence(_ tag: Tag, _ items: [SyntheticDataSet]) {
        set(DataElement(tag: tag, vr: .SQ, value: .sequence(items.map(\.dataSet)), offset: 0))
    }

    /// Native pixel data from 16-bit words.
    mutating func pixelWords(_ values: [Int]) { words(.pixelData, .OW, values) }
    mutating func pixelBytes(_ values: [UInt8]) { bytes(.pixelData, .OB, values) }

    /// Encapsulated pixel data, one fragment per frame, empty Basic Offset Table.
    mutating func encapsulated(_ fragments: [[UInt8]]) {
        var offsets: [UInt32] = []
        var at: UInt32 = 0
        for f in fragments {
            offsets.append(at)
            at += UInt32(8 + f.count)
        }
        let e = EncapsulatedPixelData(basicOffsetTable: [], fragments: fragments.map { Data($0) }, fragmentOffsets: offsets)
        set(DataElement(tag: .pixelData, vr: .OB, value: .encapsulated(e), offset: 0))
    }

    var dataSet: DataSet { DataSet(elements: elements) }

    func file(_ syntax: TransferSyntax = .explicitVRLittleEndian) -> DICOMFile {
        DICOMFile(hasPreamble: true, fileMetaInformation: DataSet(), dataSet: dataSet, transferSyntax: syntax)
    }

    func decode(_ syntax: TransferSyntax = .explicitVRLittleEndian, limits: DecodeLimits = .default)
        throws(ImagingError) -> DecodedImage
    {
        try DICOMImageDecoder().decode(file(syntax), limits: limits)
    }
}

/// The values of a pixel buffer as Int, whatever the stored type.
func ints(_ p: PixelBuffer) -> [Int] { p.doubles(0..<p.count).map { Int($0) } }

/// The error thrown by `body`, or nil when it succeeds.
func imagingError(_ body: () throws -> Void) -> ImagingError? {
    do {
        try body()
        return nil
    } catch let error as ImagingError {
        return error
    } catch {
        Issue.record("expected an ImagingError, got \(error)")
        return nil
    }
}

func tagOf(_ e: ImagingError?) -> Tag? {
    if case .invalidPixelModule(let tag, _) = e { return tag }
    return nil
}

// MARK: - Image Pixel module validation

@Suite(.onComputeThreads) struct DICOMPixelModuleTests {
    @Test func numberOfFramesDefaultsToOneAndIsRead() throws {
        var s = SyntheticDataSet(rows: 1, columns: 2, bitsAllocated: 8)
        s.pixelBytes([1, 2])
        #expect(try s.decode().numberOfFrames == 1)
        s = SyntheticDataSet(rows: 1, columns: 2, bitsAllocated: 8, frames: 3)
        s.pixelBytes([1, 2, 3, 4, 5, 6])
        let image = try s.decode()
        #expect(image.numberOfFrames == 3)
        #expect(ints(try image.storedFrame(2)) == [5, 6])
        #expect(imagingError { _ = try image.storedFrame(3) }.map { "\($0)" }?.contains("frame 3") == true)
    }

    @Test func missingOrBadAttributesNameTheirTag() {
        let cases: [(Tag, (inout SyntheticDataSet) -> Void)] = [
            (.rows, { $0.remove(.rows) }),
            (.columns, { $0.remove(.columns) }),
            (.rows, { $0.us(.rows, 0) }),
            (.bitsAllocated, { $0.remove(.bitsAllocated) }),
            (.bitsAllocated, { $0.us(.bitsAllocated, 12) }),
            (.bitsStored, { $0.us(.bitsStored, 17) }),
            (.pixelRepresentation, { $0.us(.pixelRepresentation, 2) }),
            (.samplesPerPixel, { $0.us(.samplesPerPixel, 2) }),
            (.photometricInterpretation, { $0.remove(.photometricInterpretation) }),
            (.photometricInterpretation, { $0.text(.photometricInterpretation, .CS, "RGB") }),
            (.numberOfFrames, { $0.text(.numberOfFrames, .IS, "0") }),
            (.numberOfFrames, { $0.text(.numberOfFrames, .IS, "two") }),
        ]
        for (tag, mutate) in cases {
            var s = SyntheticDataSet(rows: 2, columns: 2, bitsAllocated: 16)
            s.pixelWords([1, 2, 3, 4])
            mutate(&s)
            let e = imagingError { _ = try s.decode() }
            #expect(tagOf(e) == tag, "expected an invalid pixel module at \(tag), got \(e.map { "\($0)" } ?? "success")")
        }
    }

    @Test func limitsAreCheckedBeforeDecoding() {
        var limits = DecodeLimits()
        limits.maxDimension = 100
        var s = SyntheticDataSet(rows: 101, columns: 1, bitsAllocated: 8)
        s.pixelBytes([])  // far too short: the limit must be reported first
        guard case .limitExceeded(let what, 101, 100) = imagingError({ _ = try s.decode(limits: limits) }) else {
            Issue.record("expected limitExceeded for rows")
            return
        }
        #expect(what == "rows")

        limits = DecodeLimits()
        limits.maxTotalPixels = 1000
        s = SyntheticDataSet(rows: 40, columns: 40, bitsAllocated: 8, frames: 1)
        s.pixelBytes([])
        guard case .limitExceeded("total pixels", 1600, 1000) = imagingError({ _ = try s.decode(limits: limits) }) else {
            Issue.record("expected limitExceeded for total pixels")
            return
        }
        limits = DecodeLimits()
        s = SyntheticDataSet(rows: 2, columns: 2, bitsAllocated: 8, frames: 5000)
        s.pixelBytes([])
        guard case .limitExceeded("number of frames", 5000, _) = imagingError({ _ = try s.decode(limits: limits) }) else {
            Issue.record("expected limitExceeded for frames")
            return
        }
    }

    @Test func missingPixelDataAndFloatPixelData() {
        var s = SyntheticDataSet(rows: 1, columns: 1, bitsAllocated: 8)
        #expect(tagOf(imagingError { _ = try s.decode() }) == .pixelData)
        s.bytes(.floatPixelData, .OF, [0, 0, 0x80, 0x3F])
        guard case .unsupported(.dicom, let what) = imagingError({ _ = try s.decode() }) else {
            Issue.record("Float Pixel Data must be refused as unsupported")
            return
        }
        #expect(what.contains("Float Pixel Data"))
    }

    @Test func unsupportedTransferSyntaxIsNamed() {
        var s = SyntheticDataSet(rows: 1, columns: 1, bitsAllocated: 8)
        s.encapsulated([[0xFF, 0xD8, 0xFF, 0xD9]])
        for syntax in [TransferSyntax.jpegLSLossless, .jpegLosslessSV1, .htj2kLossless] {
            guard case .unsupported(.dicom, let what) = imagingError({ _ = try s.decode(syntax) }) else {
                Issue.record("\(syntax.name) must be refused as unsupported")
                continue
            }
            #expect(what.contains("transfer syntax \(syntax.name) (\(syntax.uid))"), "\(what)")
        }
    }
}
