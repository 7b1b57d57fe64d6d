public import Models
public import Annotations
import Imaging
public import Tensor

/// One label of a segmentation model on one image, in the source image's geometry.
///
/// The model's map (e.g. 32×32 for a 64×64 input) is activated per pixel (sigmoid per label, or softmax
/// across labels), **bilinearly** resized to the source rows × columns (pixel centres aligned,
/// `Overlay.upsample`) and only then thresholded. Resizing probabilities before thresholding places the
/// boundary where the interpolated probability crosses the threshold, i.e. with sub-cell precision and
/// smooth; nearest-neighbour resizing of a thresholded map would give staircase edges one model cell
/// wide and shift them by up to half a cell.
public struct SegmentationMask: Sendable, Equatable {
    public var label: String
    public var threshold: Double
    /// Source geometry.
    public var rows: Int
    public var columns: Int
    /// `rows × columns` activated values after the resize, row-major.
    public var probabilities: [Float]
    /// `probabilities[i] >= threshold`.
    public var mask: [Bool]
    public var positivePixels: Int
    /// positivePixels / (rows · columns).
    public var positiveFraction: Double { Double(positivePixels) / Double(max(rows * columns, 1)) }
    /// Largest value of `probabilities` (the label is present iff it reaches the threshold).
    public var maxProbability: Double

    /// The masks of image `image` of `output` (the model's tensor for `spec`: [N, K, H, W], [N, H, W, K] or,
    /// for one label, [N, H, W]), resized to `rows × columns`.
    /// - Throws: `.engine` when the tensor's shape does not hold one map per label.
    public static func masks(output t: Tensor, image: Int, spec: ModelManifest.Output, rows: Int, columns: Int)
        throws(PipelineError) -> [SegmentationMask]
    {
        let k = spec.labels.count
        let s = t.shape
        let channelsFirst: Bool, h: Int, w: Int
        switch s.count {
        case 4 where s[1] == k: (channelsFirst, h, w) = (true, s[2], s[3])
        case 4 where s[3] == k: (channelsFirst, h, w) = (false, s[1], s[2])
        case 3 where k == 1: (channelsFirst, h, w) = (true, s[1], s[2])
        default:
            throw .engine("output \(spec.name) has shape \(s); a segmentation output is [N, K, H, W], [N, H, W, K] "
                          + "or [N, H, W] with K = \(k) labels")
        }
        guard k > 0, h > 0, w > 0, (0..<s[0]).contains(image) else {
            throw .engine("output \(spec.name) has shape \(s): no map for image \(image) and \(k) labels")
        }
        let plane = h * w
        let all = t.floats()
        let base = image * k * plane
        // maps[label][pixel], activated.
        var maps = [[Float]](repeating: [Float](repeating: 0, count: plane), count: k)
        for p in 0..<plane {
            let logits = (0..<k).map { j in Double(all[base + (channelsFirst ? j * plane + p : p * k + j)]) }
            for (j, v) in Analyzer.activate(logits, spec.activation).enumerated() { maps[j][p] = Float(v) }
        }
        var out: [SegmentationMask] = []
        for (j, label) in spec.labels.enumerated() {
            let threshold = Double(spec.thresholds?[j] ?? 0.5)
            let probabilities: [Float]
            do {
                probabilities = try Overlay.upsample(map: maps[j], mapWidth: w, mapHeight: h, width: columns, height: rows)
            } catch {
                throw .image("mask resize: \(error)")
            }
            let mask = probabilities.map { Double($0) >= threshold }
            out.append(SegmentationMask(label: label, threshold: threshold, rows: rows, columns: columns,
                                        probabilities: probabilities, mask: mask,
                                        positivePixels: mask.reduce(0) { $0 + ($1 ? 1 : 0) },
                                        maxProbability: Double(probabilities.max() ?? 0)))
        }
        return out
    }

    /// The report's finding for this label: present (positive) when any pixel reaches the threshold;
    /// its probability is the largest pixel value; the area is in pixels and as a fraction of the image.
    public var finding: Report.Finding {
        Report.Finding(label: label, probability: maxProbability, threshold: threshold, positive: positivePixels > 0,
                       positivePixels: positivePixels, positiveFraction: positiveFraction)
    }
}
