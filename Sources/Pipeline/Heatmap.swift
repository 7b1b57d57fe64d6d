import Imaging

/// Where a classifier found the evidence for one class, as a coarse map in [0, 1] (1 = most) that covers
/// the whole model input, hence the whole source image (the preprocessor resizes, it never crops).
public struct Heatmap: Sendable, Equatable {
    public enum Method: String, Sendable, Equatable {
        /// Class activation map from the feature map and the linear weights (one run).
        case cam
        /// Occlusion sensitivity: drop of the class probability when each grid cell is covered.
        case occlusion
    }

    public var method: Method
    /// The class (label) the map is about: the image's top finding of the model's first output.
    public var label: String
    /// Map size in cells (the feature map's H × W for CAM, the grid for occlusion).
    public var width: Int
    public var height: Int
    /// `height × width` values in [0, 1], row-major.
    public var values: [Float]

    /// The map bilinearly resized to `columns × rows` (pixel centres aligned, `Overlay.upsample`), e.g.
    /// back to the source image's geometry.
    public func resized(rows: Int, columns: Int) throws(PipelineError) -> [Float] {
        do {
            return try Overlay.upsample(map: values, mapWidth: width, mapHeight: height, width: columns, height: rows)
        } catch {
            throw .image("heatmap resize: \(error)")
        }
    }

    /// ReLU then divide by the maximum, so the strongest evidence is 1; an all-non-positive map is all 0
    /// (there is no evidence for the class to show, rather than a map of noise).
    static func normalized(_ v: [Double]) -> [Float] {
        let top = v.max() ?? 0
        guard top > 0 else { return [Float](repeating: 0, count: v.count) }
        return v.map { Float(max($0, 0) / top) }
    }
}
