internal import DICOM
public import Imaging
public import Models
public import Annotations
import Engine
import Foundation
import Tensor

/// One image to analyse and where it came from.
public struct AnalysisInput: Sendable {
    public var image: DecodedImage
    /// The file it was read from, if any (reported as `source.path`).
    public var path: String?

    public init(image: DecodedImage, path: String? = nil) {
        self.image = image
        self.path = path
    }
}

/// Runs one verified model version on images: preprocessing from the manifest, one engine batch for
/// all images, postprocessing (softmax/sigmoid/none, labels, thresholds), a modality and body-part guard,
/// and a `Report` per image naming the exact weights (SHA-256) that produced it.
public final class Analyzer: Sendable {
    /// Reported as `engine.version`.
    public static let engineVersion = "medinfer-engine 0.1.0"

    public let model: LoadedModel
    public let preprocessor: Preprocessor

    /// A preprocessed image, ready to be batched.
    public struct Prepared: Sendable {
        public var values: [Float]
        public var applied: Preprocessor.Applied
        public var source: Report.Source
        public var warnings: [String]
        /// The 8-bit image the model input was resized from (overlays are drawn on it).
        public var display: DisplayImage?
    }

    public init(model: LoadedModel) throws(PipelineError) {
        self.model = model
        preprocessor = try Preprocessor(manifest: model.manifest)
        guard !model.manifest.outputs.isEmpty else { throw .unsupportedManifest("no outputs") }
    }

    /// Preprocesses one image (so a caller can report a bad image and go on with the rest); refuses it when
    /// the model's modality policy is strict and the image's modality is not accepted.
    public func prepare(_ input: AnalysisInput) throws(PipelineError) -> Prepared {
        let image = input.image
        let ds = image.dicom?.dataSet
        let modality = ds?.string(.modality).flatMap { $0.isEmpty ? nil : $0 }
        try refuseUnacceptedModality(modality, path: input.path)
        let source = Report.Source(format: image.format.rawValue, sopInstanceUID: ds?.string(.sopInstanceUID),
                                   modality: modality, rows: image.rows, columns: image.columns, path: input.path)
        let sample = try preprocessor.sample(for: image)
        return Prepared(values: sample.values, applied: sample.applied, source: source,
                        warnings: guardWarnings(image, modality: modality), display: sample.display)
    }

    /// The modality and body-part guard.
    func guardWarnings(_ image: DecodedImage, modality: String?) -> [String] {
        var warnings: [String] = []
        let input = preprocessor.input
        if let accepted = input.modalities, !accepted.isEmpty {
            let list = "[\(accepted.joined(separator: ", "))]"
            if let modality {
                if !Self.matches(accepted, modality) {
                    warnings.append("modality \(modality) is not among the model's accepted modalities \(list)")
                }
            } else if image.dicom != nil {
                warnings.append("modality unknown (no DICOM Modality); the model accepts \(list)")
            } else {
                warnings.append("modality unknown (\(image.format.rawValue.uppercased()) has no DICOM Modality); the model accepts \(list)")
            }
        }
        if let parts = input.bodyParts, !parts.isEmpty,
           let part = image.dicom?.dataSet.string(.bodyPartExamined), !part.isEmpty,
           !Self.matches(parts, part)
        {
            warnings.append("body part \(part) is not among the model's accepted body parts [\(parts.joined(separator: ", "))]")
        }
        return warnings
    }

    /// Preprocesses and analyses all images as one engine batch; throws on the first bad image.
    public func analyze(_ inputs: [AnalysisInput], job: String? = nil, firstIndex: Int = 0) throws(PipelineError) -> [Report] {
        var prepared: [Prepared] = []
        for input in inputs { prepared.append(try prepare(input)) }
        return try run(prepared, job: job, firstIndex: firstIndex)
    }

    /// Runs prepared images as one batch; report `i` has image index `firstIndex + i`.
    public func run(_ prepared: [Prepared], job: String? = nil, firstIndex: Int = 0) throws(PipelineError) -> [Report] {
        try analyses(prepared, job: job, firstIndex: firstIndex).map(\.report)
    }

    /// Runs prepared images as one batch: reports, segmentation masks and, when `options.overlays`,
    /// heatmaps and overlay images (`Analyzer+Overlays.swift`). Report `i` has image index `firstIndex + i`.
    public func analyses(_ prepared: [Prepared], job: String? = nil, firstIndex: Int = 0,
                         options: AnalysisOptions = AnalysisOptions()) throws(PipelineError) -> [Analysis] {
        guard !prepared.isEmpty else { return [] }
        let n = prepared.count
        let shape = [n] + preprocessor.sampleShape
        let heatmapSource = options.overlays ? heatmapSource(options) : .none(warning: nil)
        let outputs: [String: Tensor]
        let start = ContinuousClock.now
        do {
            let batch = try Tensor(shape: shape, values: prepared.flatMap(\.values))
            outputs = try model.run([preprocessor.input.name: batch], extraOutputs: heatmapSource.extraOutputs)
        } catch {
            throw .engine("\(error)")
        }
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var findings = [[Report.Finding]](repeating: [], count: n)
        // Activated values of the first output per image (the class a heatmap is about).
        var firstOutput = [[Double]](repeating: [], count: n)
        var masks = [[SegmentationMask]](repeating: [], count: n)
        for spec in model.manifest.outputs where model.manifest.task == .segmentation {
            guard let t = outputs[spec.name] else { throw .engine("the model returned no output \(spec.name)") }
            for i in 0..<n {
                let m = try SegmentationMask.masks(output: t, image: i, spec: spec, rows: prepared[i].source.rows,
                                                   columns: prepared[i].source.columns)
                masks[i] += m
                findings[i] += m.map(\.finding)
            }
        }
        for spec in model.manifest.outputs where model.manifest.task == .classification {
            guard let t = outputs[spec.name] else { throw .engine("the model returned no output \(spec.name)") }
            let all = t.floats()
            let k = spec.labels.count
            guard k > 0, all.count == n * k else {
                throw .engine("output \(spec.name) has \(all.count) values for \(n) images and \(k) labels")
            }
            for i in 0..<n {
                let probs = Self.activate(all[(i * k)..<((i + 1) * k)].map(Double.init), spec.activation)
                if spec.name == model.manifest.outputs[0].name { firstOutput[i] = probs }
                for (j, label) in spec.labels.enumerated() {
                    let threshold = Double(spec.thresholds?[j] ?? 0.5)
                    findings[i].append(Report.Finding(label: label, probability: probs[j], threshold: threshold,
                                                      positive: probs[j] >= threshold))
                }
            }
        }
        let createdAt = ISO8601DateFormatter().string(from: Date())
        let info = model.ref
        let reports = prepared.enumerated().map { i, p in
            Report(job: job, image: firstIndex + i, model: info, source: p.source,
                   preprocessing: Report.Preprocessing(window: p.applied.window, resize: p.applied.resize,
                                                       normalize: p.applied.normalize),
                   findings: findings[i].sorted { $0.probability > $1.probability },
                   overlays: [], warnings: p.warnings,
                   engine: Report.EngineInfo(version: Self.engineVersion, batchSize: n, durationMs: (ms * 10).rounded() / 10),
                   createdAt: createdAt, disclaimer: Report.disclaimer)
        }
        var analyses: [Analysis] = []
        for i in 0..<n {
            var a = Analysis(report: reports[i], masks: masks[i])
            if options.overlays {
                try addOverlay(&a, prepared[i], scores: firstOutput[i], outputs: outputs, image: i,
                               source: heatmapSource, options: options)
            }
            analyses.append(a)
        }
        return analyses
    }

    /// The output activation applied to one image's raw outputs.
    public static func activate(_ x: [Double], _ activation: ModelManifest.Activation) -> [Double] {
        switch activation {
        case .none: return x
        case .sigmoid: return x.map { 1 / (1 + exp(-$0)) }
        case .softmax:
            let m = x.max() ?? 0
            let e = x.map { exp($0 - m) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
    }
}
