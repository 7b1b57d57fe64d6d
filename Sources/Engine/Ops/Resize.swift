import Foundation
import Tensor

/// Resize (opset 10: scales; ≥ 11: roi, scales, sizes) and Upsample (7–9), nearest or linear over the
/// trailing two axes of [N, C, H, W] (scales on N and C must be 1).
struct ResizeOp: Operator {
    let ctx: NodeContext
    let node: Node
    let opset: Int
    let mode: String, transform: String, nearestMode: String

    init(_ n: Node, _ opset: Int) throws(EngineError) {
        ctx = n.context
        node = n
        self.opset = opset
        mode = try n.string("mode", default: "nearest") ?? "nearest"
        // Upsample and Resize-10 use asymmetric coordinates.
        let legacy = n.opType == "Upsample" || opset < 11
        transform = legacy ? "asymmetric" : (try n.string("coordinate_transformation_mode", default: "half_pixel") ?? "half_pixel")
        nearestMode = legacy ? "floor" : (try n.string("nearest_mode", default: "round_prefer_floor") ?? "round_prefer_floor")
        guard ["nearest", "linear", "bilinear"].contains(mode) else { throw ctx.attribute("mode", "'\(mode)' is not supported (nearest, linear)") }
        guard ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"].contains(transform) else {
            throw ctx.attribute("coordinate_transformation_mode", "'\(transform)' is not supported")
        }
        guard ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(nearestMode) else {
            throw ctx.attribute("nearest_mode", "'\(nearestMode)' is not supported")
        }
    }

    /// (output shape, scales per axis)
    private func target(_ x: [Int], _ inputs: [Tensor?]) throws(EngineError) -> ([Int], [Double]) {
        var scales: [Double]? = try node.floats("scales").map { $0.map(Double.init) }
        var sizes: [Int]?
        if node.opType == "Upsample" {
            if scales == nil, inputs.count > 1, let t = inputs[1] { scales = t.doubles() }
        } else if opset < 11 {
            if inputs.count > 1, let t = inputs[1] { scales = t.doubles() }
        } else {
            if inputs.count > 2, let t = inputs[2], t.count > 0 { scales = t.doubles() }
            if inputs.count > 3, let t = inputs[3], t.count > 0 { sizes = t.doubles().map { Int($0) } }
        }
        if let sizes {
            guard sizes.count == x.count else { throw ctx.input(3, "sizes \(sizes) for rank \(x.count)") }
            return (sizes, zip(sizes, x).map { Double($0) / Double($1) })
        }
        guard let scales, scales.count == x.count else { throw ctx.input(2, "scales or sizes are required, one per axis") }
        return (zip(x, scales).map { Int((Double($0) * $1).rounded(.down)) }, scales)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        guard x.shape.count == 4 else { throw ctx.input(0, "only 4-D [N, C, H, W] inputs are supported, got \(x.shape)") }
        try ctx.requireConstant([1, 2, 3], inputs, constants)
        let (shape, scales) = try target(x.shape, constants)
        guard shape[0] == x.shape[0], shape[1] == x.shape[1], scales[0] == 1, scales[1] == 1 else {
            throw ctx.shape("resizing the batch or channel axis is not supported (scales \(scales))")
        }
        return [TensorType(x.dtype, shape)]
    }

    private func source(_ o: Int, scale: Double, inSize: Int, outSize: Int) -> Double {
        let d = Double(o)
        switch transform {
        case "half_pixel": return (d + 0.5) / scale - 0.5
        case "pytorch_half_pixel": return outSize > 1 ? (d + 0.5) / scale - 0.5 : 0
        case "align_corners": return outSize > 1 ? d * Double(inSize - 1) / Double(outSize - 1) : 0
        case "tf_half_pixel_for_nn": return (d + 0.5) / scale
        default: return d / scale
        }
    }

    private func nearest(_ x: Double, _ n: Int) -> Int {
        let v: Double
        let half = x - x.rounded(.down) == 0.5
        switch nearestMode {
        case "floor": v = x.rounded(.down)
        case "ceil": v = x.rounded(.up)
        case "round_prefer_ceil": v = half ? x.rounded(.up) : x.rounded()
        default: v = half ? x.rounded(.down) : x.rounded()
        }
        return min(max(Int(v), 0), n - 1)
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let xt = try ctx.required(inputs, 0)
        let (shape, scales) = try target(xt.shape, inputs)
        let x = xt.floats()
        let (ih, iw, oh, ow) = (xt.shape[2], xt.shape[3], shape[2], shape[3])
        var y = [Float](repeating: 0, count: shape.reduce(1, *))
        let planes = shape[0] * shape[1]
        let ys = (0..<oh).map { source($0, scale: scales[2], inSize: ih, outSize: oh) }
        let xs = (0..<ow).map { source($0, scale: scales[3], inSize: iw, outSize: ow) }
        for p in 0..<planes {
            let src = p * ih * iw, dst = p * oh * ow
            for oy in 0..<oh {
                for ox in 0..<ow {
                    if mode == "nearest" {
                        y[dst + oy * ow + ox] = x[src + nearest(ys[oy], ih) * iw + nearest(xs[ox], iw)]
                    } else {
                        let fy = min(max(ys[oy], 0), Double(ih - 1)), fx = min(max(xs[ox], 0), Double(iw - 1))
                        let y0 = Int(fy), x0 = Int(fx), y1 = min(y0 + 1, ih - 1), x1 = min(x0 + 1, iw - 1)
                        let dy = Float(fy - Double(y0)), dx = Float(fx - Double(x0))
                        let a = x[src + y0 * iw + x0], b = x[src + y0 * iw + x1]
                        let c = x[src + y1 * iw + x0], d = x[src + y1 * iw + x1]
                        y[dst + oy * ow + ox] = (a * (1 - dx) + b * dx) * (1 - dy) + (c * (1 - dx) + d * dx) * dy
                    }
                }
            }
        }
        return [try makeFloat(shape, y, ctx)]
    }
}
