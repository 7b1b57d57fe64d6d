public import Annotations
public import Foundation
public import Models
import Imaging

/// What `Analyzer.analyses` makes besides the reports.
public struct AnalysisOptions: Sendable {
    /// Make an overlay image per report: the heatmap of a classifier, the mask contour of a segmentation model.
    public var overlays: Bool
    /// Overrides the manifest's `heatmap` method for classifiers (nil: the manifest's).
    public var heatmap: ModelManifest.HeatmapMethod?
    /// Occlusion grid: `grid × grid` cells, one extra run each.
    public var occlusionGrid: Int
    /// Weight of the colour map over the gray image (0...1).
    public var heatmapAlpha: Float

    public init(overlays: Bool = false, heatmap: ModelManifest.HeatmapMethod? = nil, occlusionGrid: Int = 8,
                heatmapAlpha: Float = 0.45) {
        self.overlays = overlays
        self.heatmap = heatmap
        self.occlusionGrid = occlusionGrid
        self.heatmapAlpha = heatmapAlpha
    }
}

/// One analysed image: its report, and what a caller may draw or save.
public struct Analysis: Sendable {
    public var report: Report
    /// Segmentation models: one per label, in the source geometry.
    public var masks: [SegmentationMask] = []
    /// Classifiers, when overlays were asked for and a heatmap could be made.
    public var heatmap: Heatmap?
    /// When overlays were asked for: the heatmap or mask contour drawn on the display image.
    public var overlay: OverlayImage?
}

/// An overlay in the source geometry, 8-bit interleaved RGB; `Report.Overlay.kind` is `kind.rawValue`.
public struct OverlayImage: Sendable, Equatable {
    public enum Kind: String, Sendable { case heatmap, mask }
    public var kind: Kind
    public var width: Int
    public var height: Int
    /// `height × width × 3` bytes.
    public var rgb: [UInt8]

    /// The image as PNG (libpng through `Imaging.PNGEncoder`).
    public func pngData() throws(PipelineError) -> Data {
        do { return try PNGEncoder.encode(width: width, height: height, channels: 3, pixels: rgb) } catch {
            throw .image("overlay PNG: \(error)")
        }
    }
}

extension Analysis {
    /// The one encoding of an analysed scan's outputs, for the worker's artifacts and `medinfer analyze`'s
    /// files alike: the overlay as PNG (nil when there is none) and the report, whose `overlays` names it at
    /// `overlayPath` (an artifact's name in the queue, a file's path on disk; never a URL).
    public func encoded(overlayPath: String) throws(PipelineError) -> (report: Report, overlayPNG: Data?) {
        var report = self.report
        guard let overlay else { return (report, nil) }
        let png = try overlay.pngData()
        report.overlays.append(Report.Overlay(kind: overlay.kind.rawValue, path: overlayPath))
        return (report, png)
    }
}
