import Foundation
import Kernels
import Tensor

/// Resize (opset 10: scales; 11+: roi, scales, sizes; 18+: axes, antialias, keep_aspect_ratio_policy) and
/// Upsample (7–9) on float32 tensors of any rank: nearest, linear (bi-, trilinear) and cubic, every
/// coordinate transformation mode, `exclude_outside`, `extrapolation_value`.
///
/// Separable, as the ONNX reference (`onnx/reference/ops/op_resize.py`) is: each resized axis in turn, each
/// output position a weighted sum of `n` input positions along that axis (`ResizeTaps`: n = 2 for nearest
/// and linear, 4 for cubic, more with antialiasing when shrinking).
struct ResizeOp: ImageWise {
    enum Mode: String { case nearest, linear, cubic }
    let ctx: NodeContext
    let node: Node
    let opset: Int
    let mode: Mode
    let transform: String, nearestMode: String
    let cubicA: Double
    let excludeOutside: Bool
    let extrapolation: Float
    let antialias: Bool
    let axes: [Int]?
    let aspectPolicy: String

    init(_ n: Node, _ opset: Int) throws(EngineError) {
        ctx = n.context
        node = n
        self.opset = opset
        let name = try n.string("mode", default: "nearest") ?? "nearest"
        guard let mode = Mode(rawValue: name == "bilinear" ? "linear" : name) else {
            throw ctx.attribute("mode", "'\(name)' is not one of nearest, linear, cubic")
        }
        self.mode = mode
        // Upsample and Resize-10 use asymmetric coordinates and round down.
        let legacy = n.opType == "Upsample" || opset < 11
        transform = legacy ? "asymmetric" : (try n.string("coordinate_transformation_mode", default: "half_pixel") ?? "half_pixel")
        nearestMode = legacy ? "floor" : (try n.string("nearest_mode", default: "round_prefer_floor") ?? "round_prefer_floor")
        cubicA = Double(try n.float("cubic_coeff_a", default: -0.75) ?? -0.75)
        excludeOutside = (try n.int("exclude_outside", default: 0) ?? 0) != 0
        extrapolation = try n.float("extrapolation_value", default: 0) ?? 0
        antialias = (try n.int("antialias", default: 0) ?? 0) != 0
        axes = try n.ints("axes")
        aspectPolicy = try n.string("keep_aspect_ratio_policy", default: "stretch") ?? "stretch"
        let transforms = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
                          "tf_half_pixel_for_nn", "tf_crop_and_resize"]
        guard transforms.contains(transform) else {
            throw ctx.attribute("coordinate_transformation_mode", "'\(transform)' is not one of \(transforms.joined(separator: ", "))")
        }
        guard ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(nearestMode) else {
            throw ctx.attribute("nearest_mode", "'\(nearestMode)' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil")
        }
        guard ["stretch", "not_larger", "not_smaller"].contains(aspectPolicy) else {
            throw ctx.attribute("keep_aspect_ratio_policy", "'\(aspectPolicy)' is not one of stretch, not_larger, not_smaller")
        }
        guard !(antialias && mode == .nearest) else { throw ctx.attribute("antialias", "does not apply to mode 'nearest'") }
    }

    /// The output shape, each axis's scale and ROI (`[start, end]`, normalised), and the axes to resize in order.
    struct Target {
        var shape: [Int], scales: [Double], roi: [(Double, Double)], order: [Int]
    }

    private func target(_ x: [Int], _ inputs: [Tensor?]) throws(EngineError) -> Target {
        let r = x.count
        var scales: [Double]?, sizes: [Int]?, roi: [Double]?
        if node.opType == "Upsample" {
            scales = try node.floats("scales").map { $0.map(Double.init) }
            if scales == nil, inputs.count > 1, let t = inputs[1] { scales = t.doubles() }
        } else if opset < 11 {
            if inputs.count > 1, let t = inputs[1] { scales = t.doubles() }
        } else {
            if inputs.count > 1, let t = inputs[1], t.count > 0 { roi = t.doubles() }
            if inputs.count > 2, let t = inputs[2], t.count > 0 { scales = t.doubles() }
            if inputs.count > 3, let t = inputs[3], t.count > 0 { sizes = t.ints() }
        }
        var order = Array(0..<r)
        if let axes {
            order = []
            for a in axes {
                let n = try normalizedAxis(a, rank: r, ctx, "axes")
                guard !order.contains(n) else { throw ctx.attribute("axes", "axis \(a) is given twice in \(axes)") }
                order.append(n)
            }
        }
        let k = order.count
        var full = Target(shape: x, scales: [Double](repeating: 1, count: r), roi: [(Double, Double)](repeating: (0, 1), count: r),
                          order: order)
        if let roi {
            guard roi.count == 2 * k else { throw ctx.input(1, "roi has \(roi.count) values, expected \(2 * k)") }
            for (i, a) in order.enumerated() { full.roi[a] = (roi[i], roi[k + i]) }
        } else if transform == "tf_crop_and_resize" {
            throw ctx.input(1, "tf_crop_and_resize needs roi")
        }
        if let sizes {
            guard scales == nil else { throw ctx.input(2, "scales and sizes are both given; only one may be") }
            guard sizes.count == k else { throw ctx.input(3, "sizes \(sizes) for \(k) axes of rank \(r)") }
            guard sizes.allSatisfy({ $0 >= 0 }) else { throw ctx.input(3, "negative size in \(sizes)") }
            for (i, a) in order.enumerated() { full.shape[a] = sizes[i]; full.scales[a] = Double(sizes[i]) / Double(max(x[a], 1)) }
            if aspectPolicy != "stretch" {
                let ratios = order.map { full.scales[$0] }
                let scale = aspectPolicy == "not_larger" ? ratios.min() ?? 1 : ratios.max() ?? 1
                for a in order {
                    full.scales[a] = scale
                    full.shape[a] = try outputSize(scale * Double(x[a]) + 0.5)  // round half up, as the reference
                }
            }
        } else {
            guard let scales, scales.count == k else { throw ctx.input(2, "scales or sizes are required, one per resized axis") }
            guard scales.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw ctx.input(2, "scales must be positive and finite, got \(scales)") }
            for (i, a) in order.enumerated() {
                full.scales[a] = scales[i]
                full.shape[a] = try outputSize(scales[i] * Double(x[a]))
            }
        }
        return full
    }

    /// `value` rounded down, refused past 2^40 (the memory budget is the real limit; this keeps `Int` exact).
    private func outputSize(_ value: Double) throws(EngineError) -> Int {
        guard value.isFinite, value >= 0, value < Double(1 << 40) else { throw ctx.shape("output size \(value) out of range") }
        return Int(value.rounded(.down))
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        guard x.dtype == .float32 else { throw ctx.input(0, "expected float32, got \(x.dtype.rawValue)") }
        try ctx.requireConstant([1, 2, 3], inputs, constants)
        return [TensorType(x.dtype, try target(x.shape, constants).shape)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] { try run(inputs, .serial) }
    var writesIntoArena: Bool { true }

    func run(_ inputs: [Tensor?], _ rc: RunContext) throws(EngineError) -> [Tensor] {
        let xt = try ctx.required(inputs, 0)
        guard xt.dtype == .float32 else { throw ctx.input(0, "expected float32, got \(xt.dtype.rawValue)") }
        let t = try target(xt.shape, inputs)
        var yt = try rc.output(0, .float32, t.shape, ctx)
        if mode == .nearest && !excludeOutside && transform != "tf_crop_and_resize" {
            // Each output copies one input element: one gather over every axis instead of a pass per axis.
            let select = xt.shape.indices.map { a in
                ResizeTaps(self, inSize: xt.shape[a], outSize: t.shape[a], scale: t.scales[a], roi: t.roi[a]).nearest
            }
            xt.withFloats { src in yt.withMutableFloats { Self.gather(src, xt.shape, select, $0, threads: rc.workers) } }
            return [yt]
        }
        // Axes that change nothing are skipped, as the reference does.
        let passes = t.order.filter { a in
            !(t.shape[a] == xt.shape[a] && abs(t.scales[a] - 1) < 1e-9 && (transform != "tf_crop_and_resize" || t.roi[a] == (0, 1)))
        }
        var current = xt  // the previous pass's result; the last pass writes the output
        for (i, a) in passes.enumerated() {
            let taps = ResizeTaps(self, inSize: current.shape[a], outSize: t.shape[a], scale: t.scales[a], roi: t.roi[a])
            let source = current
            if i == passes.count - 1 {
                source.withFloats { src in yt.withMutableFloats { taps.apply(src, source.shape, axis: a, $0, threads: rc.workers) } }
            } else {
                var next = source.shape
                next[a] = t.shape[a]
                do { current = try Tensor(uninitialized: .float32, shape: next) } catch { throw ctx.shape(error.description) }
                source.withFloats { src in current.withMutableFloats { taps.apply(src, source.shape, axis: a, $0, threads: rc.workers) } }
            }
        }
        if passes.isEmpty {
            xt.withFloats { src in yt.withMutableFloats { $0.update(from: src, count: xt.count) } }
        }
        return [yt]
    }

    /// `dst[i₀, …, iₙ] = src[select₀[i₀], …, selectₙ[iₙ]]`, rows of the last axis split over `threads`.
    static func gather(_ src: UnsafePointer<Float>, _ inShape: [Int], _ select: [[Int]], _ dst: UnsafeMutablePointer<Float>,
                       threads: Int) {
        let r = inShape.count
        guard r > 0 else { dst[0] = src[0]; return }
        let outShape = select.map(\.count), width = outShape[r - 1], rows = outShape.dropLast().product
        guard width > 0, rows > 0 else { return }
        var inStrides = [Int](repeating: 1, count: r)
        for a in stride(from: r - 2, through: 0, by: -1) { inStrides[a] = inStrides[a + 1] * inShape[a + 1] }
        let columns = select[r - 1]
        let chunks = min(rows, 64)
        Parallel.run(tasks: chunks, threads: threads) { c, _ in
            for row in (rows * c / chunks)..<(rows * (c + 1) / chunks) {
                var rest = row, offset = 0
                for a in stride(from: r - 2, through: 0, by: -1) {
                    offset += select[a][rest % outShape[a]] * inStrides[a]
                    rest /= outShape[a]
                }
                let line = src + offset, out = dst + row * width
                for x in 0..<width { out[x] = line[columns[x]] }
            }
        }
    }

    /// The input position output `o` of an axis maps to (ONNX's coordinate transformation modes).
    func source(_ o: Int, scale: Double, inSize: Int, outSize: Int, roi: (Double, Double)) -> Double {
        let d = Double(o), length = scale * Double(inSize)
        switch transform {
        case "pytorch_half_pixel": return length == 1 ? -0.5 : (d + 0.5) / scale - 0.5
        case "align_corners": return length == 1 ? 0 : d * Double(inSize - 1) / (length - 1)
        case "tf_half_pixel_for_nn": return (d + 0.5) / scale
        case "asymmetric": return d / scale
        case "half_pixel_symmetric":
            let offset = Double(inSize) / 2 * (1 - Double(outSize) / length)
            return offset + (d + 0.5) / scale - 0.5
        case "tf_crop_and_resize":
            let span = roi.1 - roi.0
            let x = length == 1 ? span * Double(inSize - 1) / 2 : d * span * Double(inSize - 1) / (length - 1)
            return x + roi.0 * Double(inSize - 1)
        default: return (d + 0.5) / scale - 0.5  // half_pixel
        }
    }

    /// The interpolation weights for a source position `ratio` past its floor (in (0, 1]).
    func coefficients(_ ratio: Double, scale: Double) -> [Double] {
        switch mode {
        case .nearest:
            if ratio == 1 { return [0, 1] }
            switch nearestMode {
            case "round_prefer_ceil": return ratio < 0.5 ? [1, 0] : [0, 1]
            case "floor": return [1, 0]
            case "ceil": return [0, 1]
            default: return ratio <= 0.5 ? [1, 0] : [0, 1]
            }
        case .linear:
            guard antialias else { return [1 - ratio, ratio] }
            let s = min(scale, 1), start = Int((-1 / s).rounded(.down)) + 1, footprint = 2 - 2 * start
            return Self.normalized((start..<(start + footprint)).map { max(0, 1 - abs((Double($0) - ratio) * s)) })
        case .cubic:
            let a = cubicA
            func cubic(_ v: Double) -> Double {
                let x = abs(v)
                if x <= 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
                if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
                return 0
            }
            guard antialias else { return [cubic(1 + ratio), cubic(ratio), cubic(1 - ratio), cubic(2 - ratio)] }
            let s = min(scale, 1), start = Int((-2 / s).rounded(.down)) + 1
            return Self.normalized((start..<(2 - start)).map { cubic(s * (Double($0) - ratio)) })
        }
    }

    static func normalized(_ c: [Double]) -> [Double] {
        let sum = c.reduce(0, +)
        return sum == 0 ? c : c.map { $0 / sum }
    }
}

/// For each output position of one axis: `n` input indices (clamped to the axis: edge padding) and their
/// weights, or the extrapolation value (tf_crop_and_resize outside the input).
struct ResizeTaps {
    let n: Int
    let index: [Int], weight: [Float]
    let extrapolated: [Bool]
    let extrapolation: Float

    init(_ op: ResizeOp, inSize: Int, outSize: Int, scale: Double, roi: (Double, Double)) {
        var index: [Int] = [], weight: [Float] = [], extrapolated: [Bool] = []
        var width = 0
        for o in 0..<outSize {
            let x = op.source(o, scale: scale, inSize: inSize, outSize: outSize, roi: roi)
            let floor = x.rounded(.down)
            let ratio = x == floor ? 1 : x - floor  // prefer the pixel on the left, as the reference
            var c = op.coefficients(ratio, scale: scale)
            let n = c.count
            width = n
            // The n positions nearest to x, ties to the smaller (`_get_neighbor_idxes` of the reference).
            let pad = (n + 1) / 2
            let padded = x + Double(pad), p = padded.rounded(.down), frac = padded - p
            let offset = n % 2 == 0 ? (frac == 0 ? -(n / 2) : -(n / 2) + 1) : (frac <= 0.5 ? -((n - 1) / 2) : -((n - 1) / 2) + 1)
            let start = Int(p) + offset - pad
            if op.excludeOutside {
                for k in 0..<n where start + k < 0 || start + k >= inSize { c[k] = 0 }
                c = ResizeOp.normalized(c)
            }
            for k in 0..<n {
                index.append(min(max(start + k, 0), inSize - 1))
                weight.append(Float(c[k]))
            }
            extrapolated.append(op.transform == "tf_crop_and_resize" && (x < 0 || x > Double(inSize - 1)))
        }
        self.n = width
        self.index = index
        self.weight = weight
        self.extrapolated = extrapolated
        extrapolation = op.extrapolation
    }

    /// For nearest taps (weights 0 and 1): the one input index each output copies.
    var nearest: [Int] { (0..<extrapolated.count).map { o in weight[o * n] == 1 ? index[o * n] : index[o * n + 1] } }

    /// Resamples axis `axis` of `src` (shape `shape`) into `dst` (the same shape with this axis's output size).
    func apply(_ src: UnsafePointer<Float>, _ shape: [Int], axis: Int, _ dst: UnsafeMutablePointer<Float>, threads: Int) {
        let outer = shape.prefix(axis).product, inLen = shape[axis], inner = shape.dropFirst(axis + 1).product
        let outLen = extrapolated.count
        guard outer > 0, inner > 0, outLen > 0 else { return }
        Parallel.run(tasks: outer, threads: threads) { o, _ in
            let s = src + o * inLen * inner
            for j in 0..<outLen {
                let row = dst + (o * outLen + j) * inner
                if extrapolated[j] {
                    row.update(repeating: extrapolation, count: inner)
                    continue
                }
                row.update(repeating: 0, count: inner)
                for k in 0..<n {
                    let w = weight[j * n + k]
                    if w == 0 { continue }  // nearest's other tap; 0 × NaN must not leak in
                    let line = s + index[j * n + k] * inner
                    for i in 0..<inner { row[i] += w * line[i] }
                }
            }
        }
    }
}
