public import Core
import Foundation

/// One image's analysis (docs/ARCHITECTURE.md §3.4): the findings and everything needed to trace them to the
/// exact weights (SHA-256) and preprocessing that made them. A decision aid, never a diagnosis.
public struct Report: Codable, Sendable, Equatable {
    public struct Source: Codable, Sendable, Equatable {
        /// `png`, `jpeg` or `dicom`.
        public var format: String
        public var sopInstanceUID: String?
        public var modality: String?
        public var rows: Int
        public var columns: Int
        public var path: String?

        public init(format: String, sopInstanceUID: String? = nil, modality: String? = nil, rows: Int, columns: Int, path: String? = nil) {
            self.format = format
            self.sopInstanceUID = sopInstanceUID
            self.modality = modality
            self.rows = rows
            self.columns = columns
            self.path = path
        }
    }

    public struct Preprocessing: Codable, Sendable, Equatable {
        /// `[center, width]` of the window applied to modality values (grayscale DICOM), else nil.
        public var window: [Double]?
        /// e.g. `bicubic 240x240`.
        public var resize: String?
        /// e.g. `x/255` or `(x*0.0039 - mean)/std`.
        public var normalize: String

        public init(window: [Double]? = nil, resize: String? = nil, normalize: String) {
            self.window = window
            self.resize = resize
            self.normalize = normalize
        }
    }

    public struct Finding: Codable, Sendable, Equatable {
        public var label: String
        /// Classification: the activated output. Segmentation: the largest pixel value of the label's map.
        public var probability: Double
        public var threshold: Double
        public var positive: Bool
        /// Segmentation only (absent from the JSON otherwise): pixels of the source image at or above the
        /// threshold, and their fraction of the image (0...1).
        public var positivePixels: Int?
        public var positiveFraction: Double?

        public init(label: String, probability: Double, threshold: Double, positive: Bool,
                    positivePixels: Int? = nil, positiveFraction: Double? = nil) {
            self.label = label
            self.probability = probability
            self.threshold = threshold
            self.positive = positive
            self.positivePixels = positivePixels
            self.positiveFraction = positiveFraction
        }
    }

    /// An overlay image written beside the report.
    public struct Overlay: Codable, Sendable, Equatable {
        /// `heatmap` (classifier evidence in a colour map) or `mask` (segmentation contour).
        public var kind: String
        /// Where the PNG was written.
        public var path: String

        public init(kind: String, path: String) {
            self.kind = kind
            self.path = path
        }
    }

    public struct EngineInfo: Codable, Sendable, Equatable {
        public var version: String
        public var batchSize: Int
        public var durationMs: Double

        public init(version: String, batchSize: Int, durationMs: Double) {
            self.version = version
            self.batchSize = batchSize
            self.durationMs = durationMs
        }
    }

    public var job: String?
    /// Index of the image in its request (or batch of files).
    public var image: Int
    /// The exact weights that ran (JSON: name, version as a string, sha256).
    public var model: ModelRef
    public var source: Source
    public var preprocessing: Preprocessing
    /// Sorted by probability, highest first.
    public var findings: [Finding]
    public var overlays: [Overlay]
    public var warnings: [String]
    public var engine: EngineInfo
    /// ISO 8601.
    public var createdAt: String
    public var disclaimer: String

    public init(job: String?, image: Int, model: ModelRef, source: Source, preprocessing: Preprocessing,
                findings: [Finding], overlays: [Overlay], warnings: [String], engine: EngineInfo,
                createdAt: String, disclaimer: String = Report.disclaimer) {
        self.job = job
        self.image = image
        self.model = model
        self.source = source
        self.preprocessing = preprocessing
        self.findings = findings
        self.overlays = overlays
        self.warnings = warnings
        self.engine = engine
        self.createdAt = createdAt
        self.disclaimer = disclaimer
    }

    public static let disclaimer = "decision aid, not a diagnosis"

    /// The finding with the highest probability.
    public var topFinding: Finding? { findings.first }

    /// Compact JSON with sorted keys (one line).
    public func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
