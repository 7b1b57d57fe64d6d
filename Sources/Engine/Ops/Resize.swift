import Foundation
import Kernels
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
            if inputs.count > 3, let t = inputs[3], t.count > 0 { sizes = t.ints() }
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

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] { try run(inputs, .serial) }
    var writesIntoArena: Bool { true }

    func run(_ inputs: [Tensor?], _ rc: RunContext) throws(EngineError) -> [Tensor] {
        let threads = rc.workers
        let xt = try ctx.required(inputs, 0)
        guard xt.dtype == .float32 else { throw ctx.input(0, "expected float32, got \(xt.dtype.rawValue)") }
        let (shape, scales) = try target(xt.shape, inputs)
        let (ih, iw, oh, ow) = (xt.shape[2], xt.shape[3], shape[2], shape[3])
        var yt = try rc.output(0, .float32, shape, ctx)
        let planes = shape[0] * shape[1]
        let ys = (0..<oh).map { source($0, scale: scales[2], inSize: ih, outSize: oh) }
        let xs = (0..<ow).map { source($0, scale: scales[3], inSize: iw, outSize: ow) }
        // Source rows/columns and weights depend only on the output position: tables, then a gather per plane.
        let rows: Taps, cols: Taps
        if mode == "nearest" {
            rows = Taps(lo: ys.map { nearest($0, ih) })
            cols = Taps(lo: xs.map { nearest($0, iw) })
        } else {
            rows = Taps(linear: ys, ih)
            cols = Taps(linear: xs, iw)
        }
        let isNearest = mode == "nearest"
        xt.withFloats { x in
            yt.withMutableFloats { y in
                Parallel.run(tasks: planes, threads: threads) { p, _ in
                    let src = x + p * ih * iw, dst = y + p * oh * ow
                    for oy in 0..<oh {
                        let out = dst + oy * ow
                        if isNearest {
                            let line = src + rows.lo[oy] * iw
                            for ox in 0..<ow { out[ox] = line[cols.lo[ox]] }
                        } else {
                            let l0 = src + rows.lo[oy] * iw, l1 = src + rows.hi[oy] * iw, dy = rows.weight[oy]
                            for ox in 0..<ow {
                                let x0 = cols.lo[ox], x1 = cols.hi[ox], dx = cols.weight[ox]
                                out[ox] = (l0[x0] * (1 - dx) + l0[x1] * dx) * (1 - dy) + (l1[x0] * (1 - dx) + l1[x1] * dx) * dy
                            }
                        }
                    }
                }
            }
        }
        return [yt]
    }
}

/// Source taps of each output row or column: nearest (lo only) or linear (lo, hi, weight of hi).
private struct Taps {
    var lo: [Int], hi: [Int] = [], weight: [Float] = []
    init(lo: [Int]) { self.lo = lo }
    init(linear coords: [Double], _ n: Int) {
        lo = []; hi = []; weight = []
        for c in coords {
            let f = min(max(c, 0), Double(n - 1)), i = Int(f)
            lo.append(i); hi.append(min(i + 1, n - 1)); weight.append(Float(f - Double(i)))
        }
    }
}
