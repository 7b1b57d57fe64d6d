public import Imaging
public import Models
import Foundation

/// Turns a decoded image into one model input sample, following the manifest (the 8-bit path of
/// `Scripts/make_default_model_fixtures.py`, i.e. what Pillow-based Python code feeds a model):
///
/// 1. the manifest's frame (default 0, `Preprocessor+Frame.swift`); grayscale DICOM: modality LUT, then
///    the manifest's window (`minmax`: the frame's min..max; explicit center/width; or the image's stored
///    window n), MONOCHROME1 inverted unless `invertMonochrome1` is false; everything else (PNG, JPEG,
///    colour DICOM): stored / (2^bits − 1);
/// 2. `u8 = floor(v * 255 + 0.5)`;
/// 3. gray -> RGB by replication, RGB -> gray with Pillow's `convert("L")` weights;
/// 4. `Resample.resize8` (Pillow-exact) to the manifest's size;
/// 5. `(u8 * scale - mean[c]) / std[c]`, laid out NHWC or NCHW.
public struct Preprocessor: Sendable {
    public let manifest: ModelManifest
    public let input: ModelManifest.Input
    /// Model input height, width and channels.
    public let height: Int
    public let width: Int
    public let channels: Int

    /// What was done to one image, for the report.
    public struct Applied: Sendable, Equatable {
        public var window: [Double]?
        public var resize: String?
        public var normalize: String
    }

    public init(manifest: ModelManifest) throws(PipelineError) {
        guard let input = manifest.inputs.first else { throw .unsupportedManifest("no inputs") }
        guard input.dtype == "float32" else { throw .unsupportedManifest("input dtype \(input.dtype) (only float32)") }
        self.manifest = manifest
        self.input = input
        channels = input.channels == .rgb ? 3 : 1
        let shape = input.shape
        var h: Int?, w: Int?
        if shape.count == 4 {
            switch input.layout {
            case .nhwc: (h, w) = (shape[1], shape[2])
            case .nchw: (h, w) = (shape[2], shape[3])
            }
        }
        if let r = manifest.preprocessing?.resize { (h, w) = (r.height, r.width) }
        guard let h, let w, h > 0, w > 0 else {
            throw .unsupportedManifest("input \(input.name) has no fixed height and width and no resize")
        }
        height = h
        width = w
    }

    /// The per-sample shape (without the batch dimension).
    public var sampleShape: [Int] {
        input.layout == .nhwc ? [height, width, channels] : [channels, height, width]
    }

    /// One sample's values (`sampleShape`, row-major) and what was applied.
    public func values(for image: DecodedImage) throws(PipelineError) -> (values: [Float], applied: Applied) {
        let s = try sample(for: image)
        return (s.values, s.applied)
    }

    /// One sample's values (`sampleShape`, row-major), what was applied, and the 8-bit display image the
    /// model input was resized from (for overlays).
    public func sample(for image: DecodedImage) throws(PipelineError) -> Sample {
        let pre = manifest.preprocessing
        let (display, window) = try displayValues(image, window: pre?.window)
        // 8-bit quantisation, round half up.
        var u8 = display.map { v -> UInt8 in
            let q = (v * 255 + 0.5).rounded(.down)
            return q.isNaN ? 0 : UInt8(min(max(q, 0), 255))
        }
        var c = image.samplesPerPixel
        let gray = DisplayImage(gray: c == 3 ? Self.luminance(u8) : u8, rows: image.rows, columns: image.columns)
        if c == 1 && channels == 3 {
            u8 = u8.flatMap { [$0, $0, $0] }
            c = 3
        } else if c == 3 && channels == 1 {
            u8 = gray.gray
            c = 1
        } else if c != channels {
            throw .image("\(c) samples per pixel cannot feed a \(channels)-channel input")
        }
        var resize: String?
        if image.rows != height || image.columns != width {
            let mode = pre?.resize?.mode ?? .bicubic
            let filter: ResampleFilter
            switch mode {
            case .bicubic: filter = .bicubic
            case .bilinear: filter = .bilinear
            case .area: filter = .box
            case .nearest: throw .unsupportedManifest("resize mode nearest")
            }
            do {
                u8 = try Resample.resize8(u8, width: image.columns, height: image.rows, channels: c,
                                          toWidth: width, toHeight: height, filter: filter)
            } catch {
                throw .image("resize: \(error)")
            }
            resize = "\(mode.rawValue) \(width)x\(height)"
        }
        let scale = pre?.scale ?? 1
        let mean = pre?.mean ?? [0], std = pre?.std ?? [1]
        func at(_ a: [Float], _ ch: Int) -> Float { a.count == 1 ? a[0] : a[ch] }
        guard mean.count == 1 || mean.count == channels, std.count == 1 || std.count == channels else {
            throw .unsupportedManifest("mean/std need 1 or \(channels) values")
        }
        let plane = height * width
        var out = [Float](repeating: 0, count: plane * channels)
        for p in 0..<plane {
            for ch in 0..<channels {
                let x = (Float(u8[p * channels + ch]) * scale - at(mean, ch)) / at(std, ch)
                out[input.layout == .nhwc ? p * channels + ch : ch * plane + p] = x
            }
        }
        let plain = mean.allSatisfy { $0 == 0 } && std.allSatisfy { $0 == 1 }
        let scaleText = abs(scale - 1 / 255) < 1e-7 ? "x/255" : (scale == 1 ? "x" : "x*\(scale)")
        let normalize = plain ? scaleText : "(\(scaleText) - \(mean))/\(std)"
        return Sample(values: out, applied: Applied(window: window, resize: resize, normalize: normalize), display: gray)
    }

    /// The manifest's frame as display values in [0, 1] (1 brightest), and the `[center, width]` window
    /// used, if any.
    func displayValues(_ image: DecodedImage, window: ModelManifest.Window?) throws(PipelineError)
        -> ([Double], [Double]?)
    {
        let frame = try frameIndex(in: image)
        do {
            guard image.dicom != nil, image.samplesPerPixel == 1 else {
                let scale = 1 / (pow(2, Double(min(image.bitsStored, 32))) - 1)
                return (try image.storedFrame(frame).doubles(0..<image.frameSampleCount).map { min(max($0 * scale, 0), 1) }, nil)
            }
            let monochrome1 = image.photometricInterpretation == "MONOCHROME1"
            let invert = monochrome1 && (manifest.preprocessing?.invertMonochrome1 ?? true)
            let lo: Double, hi: Double
            let m = try image.modalityFrame(frame).map(Double.init)
            switch window ?? .minmax {
            case .stored(let index):
                let v = try image.displayFrame(frame, windowIndex: index).map(Double.init)
                // displayFrame presents MONOCHROME1 inverted; a manifest that says not to gets the stored sense.
                return (monochrome1 && !invert ? v.map { 1 - $0 } : v, nil)
            case .explicit(let center, let width):
                lo = Double(center) - Double(width) / 2
                hi = Double(center) + Double(width) / 2
            case .minmax:
                let finite = m.filter { $0.isFinite }
                lo = finite.min() ?? 0
                hi = finite.max() ?? 0
            }
            var v = hi > lo ? m.map { min(max(($0 - lo) / (hi - lo), 0), 1) } : [Double](repeating: 0, count: m.count)
            if invert { v = v.map { 1 - $0 } }
            return (v, [(lo + hi) / 2, hi - lo])
        } catch {
            throw .image("\(error)")
        }
    }
}
