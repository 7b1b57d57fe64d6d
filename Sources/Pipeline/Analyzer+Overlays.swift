import Annotations
import Engine
import Imaging
import Models
import Tensor

extension Analyzer {
    /// How this batch's heatmaps are made (decided once per batch from the options, manifest and graph).
    enum HeatmapSource {
        case cam(CAMHead)
        case occlusion
        /// No heatmap; the warning says why when one was expected.
        case none(warning: String?)

        var extraOutputs: [String] {
            if case .cam(let head) = self { return [head.feature] }
            return []
        }
    }

    /// Whether `options` give this model an overlay: a mask, or a heatmap the options, manifest and graph
    /// allow. The job worker asks first, so a model without a heatmap gets no "no heatmap" warning in
    /// every report it makes.
    public func makesOverlay(_ options: AnalysisOptions) -> Bool {
        guard options.overlays else { return false }
        if model.manifest.task == .segmentation { return true }
        if case .none = heatmapSource(options) { return false }
        return true
    }

    /// `options.heatmap ?? manifest.heatmap`, resolved against the graph: `auto` becomes CAM when the
    /// graph has a CAM head and nothing otherwise; `cam` without a head becomes a warning.
    func heatmapSource(_ options: AnalysisOptions) -> HeatmapSource {
        guard model.manifest.task == .classification else { return .none(warning: nil) }
        let method = options.heatmap ?? model.manifest.heatmap
        switch method {
        case .off: return .none(warning: nil)
        case .occlusion: return .occlusion
        case .auto, .cam:
            switch CAMHead.find(in: model.model.graph, output: model.manifest.outputs[0].name) {
            case .success(let head): return .cam(head)
            case .failure(let why):
                return .none(warning: "no heatmap: this model has no class activation map (\(why)); "
                                      + "occlusion sensitivity (slower) makes one")
            }
        }
    }

    /// Adds the heatmap or mask and the overlay image to one analysis.
    func addOverlay(_ a: inout Analysis, _ p: Prepared, scores: [Double], outputs: [String: Tensor], image: Int,
                    source: HeatmapSource, options: AnalysisOptions) throws(PipelineError) {
        guard let display = p.display else { return }
        let rgb: [UInt8]
        let kind: OverlayImage.Kind
        do {
            if model.manifest.task == .segmentation {
                var union = [Bool](repeating: false, count: display.rows * display.columns)
                for m in a.masks where m.mask.count == union.count {
                    for i in union.indices where m.mask[i] { union[i] = true }
                }
                rgb = try Overlay.maskContour(gray: display.gray, width: display.columns, height: display.rows, mask: union)
                kind = .mask
            } else {
                guard let top = scores.indices.max(by: { scores[$0] < scores[$1] }) else { return }
                let label = model.manifest.outputs[0].labels[top]
                let heatmap: Heatmap
                switch source {
                case .none(let warning):
                    if let warning { a.report.warnings.append(warning) }
                    return
                case .cam(let head):
                    guard let features = outputs[head.feature] else {
                        throw PipelineError.engine("the plan returned no feature map '\(head.feature)'")
                    }
                    heatmap = try head.map(features: features, image: image, classIndex: top, label: label)
                case .occlusion:
                    let drops = try occlusionDrops(p.values, classIndex: top, grid: options.occlusionGrid)
                    heatmap = Heatmap(method: .occlusion, label: label, width: options.occlusionGrid,
                                      height: options.occlusionGrid, values: Heatmap.normalized(drops))
                }
                a.heatmap = heatmap
                rgb = try Overlay.heatmap(gray: display.gray, width: display.columns, height: display.rows,
                                          map: heatmap.values, mapWidth: heatmap.width, mapHeight: heatmap.height,
                                          alpha: options.heatmapAlpha)
                kind = .heatmap
            }
        } catch let e as PipelineError {
            throw e
        } catch {
            throw .image("overlay: \(error)")
        }
        a.overlay = OverlayImage(kind: kind, width: display.columns, height: display.rows, rgb: rgb)
    }
}
