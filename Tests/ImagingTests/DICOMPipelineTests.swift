import DICOM
import Foundation
@testable import Imaging
import Testing
import TestSupport

/// Modality and display stages on hand-built data sets (PS3.3 C.11.1, C.11.2.1.2, C.11.6).
@Suite(.onComputeThreads) struct DICOMPipelineTests {
    /// One row of 16-bit unsigned samples.
    static func row(_ values: [Int], signed: Bool = false) -> SyntheticDataSet {
        var s = SyntheticDataSet(rows: 1, columns: values.count, bitsAllocated: 16, signed: signed)
        s.pixelWords(values)
        return s
    }

    static func close(_ a: [Float], _ b: [Double], _ tolerance: Double = 1e-6) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs(Double($0) - $1) <= tolerance }
    }

    // MARK: Windows at their edges

    /// LINEAR, c = 100, w = 11: 0 up to c - 0.5 - (w-1)/2 = 94.5 inclusive, 1 above 104.5.
    /// Rescale slope 0.5 puts modality values exactly on the edges.
    @Test func linearWindowEdges() throws {
        var s = Self.row([188, 189, 190, 199, 200, 209, 210])  // 94, 94.5, 95, 99.5, 100, 104.5, 105
        s.text(.rescaleSlope, .DS, "0.5")
        s.text(.windowCenter, .DS, "100")
        s.text(.windowWidth, .DS, "11")
        let v = try s.decode().displayFrame(0)
        #expect(Self.close(v, [0, 0, 0.05, 0.5, 0.55, 1.0, 1]), "\(v)")
    }

    /// LINEAR with width 1 is a threshold at c - 0.5.
    @Test func linearWidthOneIsAThreshold() throws {
        var s = Self.row([98, 99, 100, 101])
        s.text(.rescaleSlope, .DS, "0.5")
        s.text(.windowCenter, .DS, "50")
        s.text(.windowWidth, .DS, "1")
        #expect(try s.decode().displayFrame(0) == [0, 0, 1, 1])  // 49, 49.5, 50, 50.5
    }

    /// LINEAR_EXACT, c = 100, w = 10: 0 up to 95 inclusive, 1 above 105, else (x - c)/w + 0.5.
    @Test func linearExactWindowEdges() throws {
        var s = Self.row([94, 95, 96, 100, 105, 106])
        s.text(.windowCenter, .DS, "100")
        s.text(.windowWidth, .DS, "10")
        s.text(.voiLUTFunction, .CS, "LINEAR_EXACT")
        let v = try s.decode().displayFrame(0)
        #expect(Self.close(v, [0, 0, 0.1, 0.5, 1, 1]), "\(v)")
    }

    @Test func sigmoidWindow() throws {
        var s = Self.row([100, 105, 95, 0])
        s.text(.windowCenter, .DS, "100")
        s.text(.windowWidth, .DS, "10")
        s.text(.voiLUTFunction, .CS, "SIGMOID")
        let v = try s.decode().displayFrame(0)
        let e = [0.5, 1 / (1 + exp(-2.0)), 1 / (1 + exp(2.0)), 1 / (1 + exp(40.0))]
        #expect(Self.close(v, e), "\(v)")
    }

    @Test func invalidWidthsAreTypedErrors() throws {
        for (function, width) in [("LINEAR", "0.5"), ("LINEAR_EXACT", "0"), ("SIGMOID", "-3")] {
            var s = Self.row([1, 2])
            s.text(.windowCenter, .DS, "1")
            s.text(.windowWidth, .DS, width)
            s.text(.voiLUTFunction, .CS, function)
            let image = try s.decode()
            #expect(tagOf(imagingError { _ = try image.displayFrame(0) }) == .windowWidth, "\(function) \(width)")
        }
    }

    @Test func secondWindowAndOutOfRange() throws {
        var s = Self.row([0, 50, 100])
        s.text(.windowCenter, .DS, "50\\1000")
        s.text(.windowWidth, .DS, "101\\10")
        let image = try s.decode()
        #expect(Self.close(try image.displayFrame(0, windowIndex: 0), [0.005, 0.505, 1]))
        #expect(try image.displayFrame(0, windowIndex: 1) == [0, 0, 0])
        guard case .windowOutOfRange(2, 2) = imagingError({ _ = try image.displayFrame(0, windowIndex: 2) }) else {
            Issue.record("window 2 of 2 must be out of range")
            return
        }
    }

    // MARK: No window, inversion

    @Test func withoutWindowTheFrameRangeIsUsed() throws {
        #expect(Self.close(try Self.row([10, 20, 30, 15]).decode().displayFrame(0), [0, 0.5, 1, 0.25]))
        #expect(try Self.row([7, 7]).decode().displayFrame(0) == [0, 0])
    }

    @Test func monochrome1AndInverseInvertOnce() throws {
        var m1 = Self.row([10, 20, 30])
        m1.text(.photometricInterpretation, .CS, "MONOCHROME1")
        #expect(Self.close(try m1.decode().displayFrame(0), [1, 0.5, 0]))
        var inverse = Self.row([10, 20, 30])
        inverse.text(.presentationLUTShape, .CS, "INVERSE")
        #expect(Self.close(try inverse.decode().displayFrame(0), [1, 0.5, 0]))
        m1.text(.presentationLUTShape, .CS, "INVERSE")
        #expect(Self.close(try m1.decode().displayFrame(0), [1, 0.5, 0]))
        var identity = Self.row([10, 20, 30])
        identity.text(.presentationLUTShape, .CS, "IDENTITY")
        #expect(Self.close(try identity.decode().displayFrame(0), [0, 0.5, 1]))
    }

    // MARK: LUTs

    static func lut(descriptor: [Int], data: [Int], vr: VR = .US) -> SyntheticDataSet {
        var item = SyntheticDataSet()
        item.words(.lutDescriptor, vr, descriptor)
        item.words(.lutData, .OW, data)
        return item
    }

    /// The VOI LUT Sequence wins over a window; inputs are clamped to the table; output / (2^bits - 1).
    @Test func voiLUTIsPreferredAndClamped() throws {
        var s = Self.row([9, 10, 11, 13, 20])
        s.text(.windowCenter, .DS, "100")
        s.text(.windowWidth, .DS, "10")
        s.sequence(.voiLUTSequence, [Self.lut(descriptor: [4, 10, 8], data: [0, 85, 170, 255])])
        let image = try s.decode()
        #expect(Self.close(try image.displayFrame(0), [0, 0, 1.0 / 3, 1, 1]))
        guard case .windowOutOfRange(1, 1) = imagingError({ _ = try image.displayFrame(0, windowIndex: 1) }) else {
            Issue.record("VOI LUT 1 of 1 must be out of range")
            return
        }
    }

    @Test func rescaleSlopeAndIntercept() throws {
        var s = Self.row([0, 1, 1000], signed: true)
        s.text(.rescaleSlope, .DS, "2")
        s.text(.rescaleIntercept, .DS, "-1024")
        #expect(try s.decode().modalityFrame(0) == [-1024, -1022, 976])
        #expect(try Self.row([5]).decode().modalityFrame(0) == [5])
    }

    /// Modality LUT with a signed first mapped value (SS) for signed data.
    @Test func modalityLUTSequence() throws {
        var s = SyntheticDataSet(rows: 1, columns: 5, bitsAllocated: 16, signed: true)
        s.pixelWords([-5, -2, -1, 0, 3])
        s.sequence(.modalityLUTSequence, [Self.lut(descriptor: [3, -2, 16], data: [100, 200, 40000], vr: .SS)])
        s.text(.rescaleSlope, .DS, "10")  // ignored: the LUT wins
        #expect(try s.decode().modalityFrame(0) == [100, 100, 200, 40000, 40000])
    }

    // MARK: Enhanced multi-frame

    static func functionalGroup(slope: String? = nil, intercept: String? = nil, center: String? = nil,
                                width: String? = nil) -> SyntheticDataSet
    {
        var group = SyntheticDataSet()
        if slope != nil || intercept != nil {
            var pvt = SyntheticDataSet()
            if let slope { pvt.text(.rescaleSlope, .DS, slope) }
            if let intercept { pvt.text(.rescaleIntercept, .DS, intercept) }
            group.sequence(.pixelValueTransformationSequence, [pvt])
        }
        if let center, let width {
            var voi = SyntheticDataSet()
            voi.text(.windowCenter, .DS, center)
            voi.text(.windowWidth, .DS, width)
            group.sequence(.frameVOILUTSequence, [voi])
        }
        return group
    }

    @Test func enhancedPerFrameRescaleAndWindow() throws {
        var s = SyntheticDataSet(rows: 1, columns: 2, bitsAllocated: 16, frames: 2)
        s.pixelWords([9, 20, 9, 20])
        s.sequence(.perFrameFunctionalGroupsSequence, [
            Self.functionalGroup(slope: "1", intercept: "0", center: "15", width: "11"),
            Self.functionalGroup(slope: "2", intercept: "5", center: "1000", width: "11"),
        ])
        s.sequence(.sharedFunctionalGroupsSequence, [Self.functionalGroup(slope: "100")])
        let image = try s.decode()
        #expect(try image.modalityFrame(0) == [9, 20])
        #expect(try image.modalityFrame(1) == [23, 45])
        #expect(Self.close(try image.displayFrame(0), [0, 1]))
        #expect(try image.displayFrame(1) == [0, 0])
    }

    @Test func enhancedSharedGroupsApplyToEveryFrame() throws {
        var s = SyntheticDataSet(rows: 1, columns: 1, bitsAllocated: 16, frames: 2)
        s.pixelWords([3, 4])
        s.sequence(.perFrameFunctionalGroupsSequence, [SyntheticDataSet(), SyntheticDataSet()])
        s.sequence(.sharedFunctionalGroupsSequence, [Self.functionalGroup(slope: "3", intercept: "-1")])
        let image = try s.decode()
        #expect(try image.modalityFrame(0) == [8])
        #expect(try image.modalityFrame(1) == [11])
    }

    // MARK: Colour

    @Test func colourDisplayIsStoredOverMaximum() throws {
        var s = SyntheticDataSet(rows: 1, columns: 1, bitsAllocated: 16, bitsStored: 10, samplesPerPixel: 3, photometric: "RGB")
        s.pixelWords([0, 1023, 341])
        s.text(.windowCenter, .DS, "0")  // a window never applies to colour
        s.text(.windowWidth, .DS, "1")
        let image = try s.decode()
        #expect(try image.modalityFrame(0) == [0, 1023, 341])
        #expect(Self.close(try image.displayFrame(0), [0, 1, 341.0 / 1023]))
    }
}
