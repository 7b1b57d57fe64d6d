internal import DICOM
import Foundation

/// The stages of the pixel pipeline a caller can ask for.
public enum PixelStage: String, Sendable, CaseIterable {
    /// Stored sample values (palette applied, YBR converted to RGB).
    case stored
    /// After the Modality LUT (rescale slope/intercept or LUT), as Float.
    case modality
    /// After VOI (window or VOI LUT) and presentation (MONOCHROME1 / INVERSE), Float in [0, 1], 1 = brightest.
    case display
}

extension DecodedImage {
    /// Frame `index` after the Modality LUT stage (PS3.3 C.11.1), `[rows * columns * samplesPerPixel]`.
    ///
    /// Grayscale DICOM: the Modality LUT Sequence, else Rescale Slope/Intercept (per frame for enhanced
    /// multi-frame images, from the Pixel Value Transformation functional group). Everything else: stored
    /// values as Float.
    public func modalityFrame(_ index: Int) throws(ImagingError) -> [Float] {
        try modalityValues(index).map { Float($0) }
    }

    /// Frame `index` after VOI and presentation, in [0, 1] with 1 brightest, `[rows * columns * samplesPerPixel]`.
    ///
    /// Grayscale DICOM, in the standard's order: the VOI LUT Sequence item `windowIndex` if present, else the
    /// window `windowIndex` (Window Center/Width with VOI LUT Function LINEAR, LINEAR_EXACT or SIGMOID,
    /// PS3.3 C.11.2.1.2; per frame for enhanced images), else the frame's min/max; then inverted for
    /// MONOCHROME1 or Presentation LUT Shape INVERSE. Colour, PNG and JPEG: value / (2^bits − 1).
    public func displayFrame(_ index: Int, windowIndex: Int = 0) throws(ImagingError) -> [Float] {
        guard let ds = dicom?.dataSet, samplesPerPixel == 1 else {
            let scale = 1 / (pow(2, Double(min(bitsStored, 32))) - 1)
            return try storedFrame(index).doubles(0..<frameSampleCount).map { Float(clamp01($0 * scale)) }
        }
        let x = try modalityValues(index)
        var y: [Double]
        if let items = ds.sequence(.voiLUTSequence), !items.isEmpty {
            guard windowIndex < items.count else { throw .windowOutOfRange(index: windowIndex, count: items.count) }
            let lut = try LookupTable(item: items[windowIndex], signedInput: isSigned || x.contains { $0 < 0 }, what: "VOI LUT")
            let scale = 1 / (pow(2, Double(lut.bits)) - 1)
            y = x.map { Double(lut.map($0.isFinite ? Int(max(min($0, 1e9), -1e9)) : 0)) * scale }
        } else if let window = try VOIWindow.find(in: ds, frame: index, windowIndex: windowIndex) {
            y = x.map(window.apply)
        } else {
            let finite = x.filter { $0.isFinite }
            let lo = finite.min() ?? 0, hi = finite.max() ?? 0
            y = hi > lo ? x.map { ($0 - lo) / (hi - lo) } : [Double](repeating: 0, count: x.count)
        }
        let shape = ds.string(.presentationLUTShape)?.uppercased()
        if photometricInterpretation == "MONOCHROME1" || shape == "INVERSE" {
            y = y.map { 1 - $0 }
        }
        return y.map { Float(clamp01($0)) }
    }

    /// Modality values in Double (exact for every stored type).
    func modalityValues(_ index: Int) throws(ImagingError) -> [Double] {
        let stored = try storedFrame(index).doubles(0..<frameSampleCount)
        guard let ds = dicom?.dataSet, samplesPerPixel == 1 else { return stored }
        if let pvt = functionalGroupItem(ds, frame: index, sequence: .pixelValueTransformationSequence),
           pvt.contains(.rescaleSlope) || pvt.contains(.rescaleIntercept)
        {
            let slope = pvt.double(.rescaleSlope) ?? 1, intercept = pvt.double(.rescaleIntercept) ?? 0
            return stored.map { $0 * slope + intercept }
        }
        if let items = ds.sequence(.modalityLUTSequence), let item = items.first {
            let lut = try LookupTable(item: item, signedInput: isSigned, what: "Modality LUT")
            return stored.map { Double(lut.map(Int($0))) }
        }
        let slope = ds.double(.rescaleSlope) ?? 1, intercept = ds.double(.rescaleIntercept) ?? 0
        guard slope.isFinite, intercept.isFinite else {
            throw .invalidPixelModule(tag: .rescaleSlope, reason: "Rescale Slope/Intercept \(slope)/\(intercept) are not finite")
        }
        if slope == 1 && intercept == 0 { return stored }
        return stored.map { $0 * slope + intercept }
    }
}

/// The first item of functional group `sequence` for `frame`: per-frame first, else shared (PS3.3 C.7.6.16).
func functionalGroupItem(_ ds: DataSet, frame: Int, sequence: Tag) -> DataSet? {
    if let perFrame = ds.sequence(.perFrameFunctionalGroupsSequence), frame < perFrame.count,
       let item = perFrame[frame].sequence(sequence)?.first
    {
        return item
    }
    return ds.sequence(.sharedFunctionalGroupsSequence)?.first?.sequence(sequence)?.first
}

private func clamp01(_ v: Double) -> Double { v.isNaN ? 0 : min(max(v, 0), 1) }

/// One VOI window (PS3.3 C.11.2.1.2) mapping modality values to [0, 1].
struct VOIWindow {
    enum Function: String { case linear = "LINEAR", linearExact = "LINEAR_EXACT", sigmoid = "SIGMOID" }
    var center: Double
    var width: Double
    var function: Function

    /// The window `windowIndex` for `frame`: the Frame VOI LUT functional group of enhanced images, else
    /// Window Center/Width of the data set; nil when the image has none.
    static func find(in ds: DataSet, frame: Int, windowIndex: Int) throws(ImagingError) -> VOIWindow? {
        let source: DataSet
        if let item = functionalGroupItem(ds, frame: frame, sequence: .frameVOILUTSequence), item.contains(.windowCenter) {
            source = item
        } else {
            source = ds
        }
        guard let centers = source.doubles(.windowCenter), let widths = source.doubles(.windowWidth),
              !centers.isEmpty, !widths.isEmpty
        else { return nil }
        let count = min(centers.count, widths.count)
        guard windowIndex < count else { throw .windowOutOfRange(index: windowIndex, count: count) }
        let name = source.string(.voiLUTFunction)?.uppercased() ?? "LINEAR"
        let function = Function(rawValue: name.isEmpty ? "LINEAR" : name) ?? .linear
        let w = VOIWindow(center: centers[windowIndex], width: widths[windowIndex], function: function)
        let minimum = function == .linear ? 1.0 : 0.0
        guard w.center.isFinite, w.width.isFinite, function == .linear ? w.width >= minimum : w.width > minimum else {
            throw .invalidPixelModule(tag: .windowWidth, reason: "window width \(w.width) is not valid for \(function.rawValue)")
        }
        return w
    }

    func apply(_ x: Double) -> Double {
        switch function {
        case .linear:
            let c = center - 0.5, w = width - 1
            if x <= c - w / 2 { return 0 }
            if x > c + w / 2 { return 1 }
            return w == 0 ? 1 : (x - c) / w + 0.5
        case .linearExact:
            if x <= center - width / 2 { return 0 }
            if x > center + width / 2 { return 1 }
            return (x - center) / width + 0.5
        case .sigmoid:
            return 1 / (1 + exp(-4 * (x - center) / width))
        }
    }
}
