/// A version's `model.json` (docs/ARCHITECTURE.md §3.3), validated: every field has the type and values it
/// must have, or parsing failed with the JSON path of the problem.
public struct ModelManifest: Sendable, Equatable {
    public enum Task: String, Sendable, CaseIterable { case classification, segmentation }
    public enum Layout: String, Sendable, CaseIterable { case nchw = "NCHW", nhwc = "NHWC" }
    public enum Channels: String, Sendable, CaseIterable { case gray, rgb }
    public enum Activation: String, Sendable, CaseIterable { case softmax, sigmoid, none }
    public enum ResizeMode: String, Sendable, CaseIterable { case area, bilinear, bicubic, nearest }
    /// How a classifier's heatmap is made (`"heatmap"` in model.json; segmentation models draw their mask).
    /// `auto`: a class activation map when the graph ends global average pooling -> linear, else none;
    /// `cam`: the same, named explicitly; `occlusion`: occlusion sensitivity (one extra run per grid cell,
    /// slower, works for any classifier); `"none"` (`.off`, so that it is never mistaken for `Optional.none`):
    /// never.
    public enum HeatmapMethod: String, Sendable, CaseIterable { case auto, cam, occlusion, off = "none" }

    /// One model input and what images it accepts.
    public struct Input: Sendable, Equatable {
        public var name: String
        public var layout: Layout
        /// nil entries are dynamic (`-1` or `null` in the JSON), usually the batch.
        public var shape: [Int?]
        /// A `DType` raw value (`float32`, ...).
        public var dtype: String
        public var channels: Channels
        /// DICOM Modality values accepted (nil: any).
        public var modalities: [String]?
        /// What happens to an image whose modality is not in `modalities` (`modalityPolicy` in the JSON).
        public var modalityPolicy: ModalityPolicy = .warn
        /// DICOM Body Part Examined values expected; a mismatch is only ever warned about.
        public var bodyParts: [String]?
    }

    /// How the display window is chosen before scaling.
    public enum Window: Sendable, Equatable {
        case explicit(center: Float, width: Float)
        /// The image's own stored window number `index` (0-based).
        case stored(index: Int)
        /// The image's minimum and maximum.
        case minmax
    }

    public struct Resize: Sendable, Equatable {
        public var mode: ResizeMode
        public var width: Int
        public var height: Int
        /// Whether downsampling widens the filter (Pillow's `resize`); only `true` is implemented.
        public var antialias: Bool?
        /// Free text: the implementation the resize must match (documentation only).
        public var reference: String?
    }

    /// Image -> tensor steps; absent ones are skipped.
    public struct Preprocessing: Sendable, Equatable {
        /// Which frame of a multi-frame image is analysed (nil: the first).
        public var frame: Frame?
        public var window: Window?
        /// Whether MONOCHROME1 images are inverted so that 1 is brightest (nil: yes).
        public var invertMonochrome1: Bool?
        /// How display values in [0, 1] become integers before resizing (nil: 8 bits, round half up).
        public var quantize: Quantize?
        public var resize: Resize?
        public var scale: Float?
        /// Per channel (1 or the input's channel count).
        public var mean: [Float]?
        public var std: [Float]?
    }

    public struct Output: Sendable, Equatable {
        public var name: String
        public var activation: Activation
        public var labels: [String]
        /// One per label when present.
        public var thresholds: [Float]?
    }

    /// A canary: inputs and the outputs expected of them (`.npy` files relative to the version folder).
    public struct Check: Sendable, Equatable {
        /// Input name -> file.
        public var inputs: [String: String]
        /// Output name -> file.
        public var expected: [String: String]
        /// Largest absolute difference allowed per element.
        public var tolerance: Float
    }

    public var name: String
    public var version: Int
    public var task: Task
    /// Classification: labels are independent (true) or exclusive (false); informational.
    public var multiLabel: Bool?
    public var inputs: [Input]
    public var preprocessing: Preprocessing?
    public var outputs: [Output]
    /// File (relative to the version folder) -> lowercase hex SHA-256. Always lists `model.onnx`.
    public var sha256: [String: String]
    public var license: String?
    /// The copyright notice the licence asks to keep.
    public var copyright: String?
    public var source: String?
    public var intendedUse: String?
    public var limitations: String?
    public var checks: [Check]
    /// Absent in the JSON: `.auto`.
    public var heatmap: HeatmapMethod = .auto
    /// Dynamic batching defaults for the job queue's worker (flags override them).
    public var batching: Batching? = nil

    /// `batching`: a batch is run when `maxBatchSize` images wait or the oldest has waited `maxDelayMs`.
    public struct Batching: Sendable, Equatable {
        public var maxBatchSize: Int
        public var maxDelayMs: Int

        public init(maxBatchSize: Int, maxDelayMs: Int) {
            self.maxBatchSize = maxBatchSize
            self.maxDelayMs = maxDelayMs
        }
    }
}
