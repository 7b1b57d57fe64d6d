import Tensor

/// Pad: constant, reflect, edge or wrap (Pad-19), any element type; pads as attribute (< 11) or input (≥ 11, optional axes ≥ 18).
struct PadOp: ImageWise {
    let ctx: NodeContext
    let node: Node
    let mode: String

    init(_ n: Node, _ opset: Int) throws(EngineError) {
        ctx = n.context
        node = n
        mode = try n.string("mode", default: "constant") ?? "constant"
        guard ["constant", "reflect", "edge", "wrap"].contains(mode) else { throw ctx.attribute("mode", "'\(mode)' is not supported") }
    }

    private func pads(_ rank: Int, _ inputs: [Tensor?]) throws(EngineError) -> [Int] {
        var p = try node.ints("pads")
        if p == nil, inputs.count > 1, let t = inputs[1] { p = t.ints() }
        guard var p else { throw ctx.input(1, "pads are required") }
        if inputs.count > 3, let at = inputs[3] {
            let axes = at.ints().map { $0 < 0 ? $0 + rank : $0 }
            guard axes.allSatisfy({ (0..<rank).contains($0) }) else { throw ctx.input(3, "axes \(at.ints()) out of range for rank \(rank)") }
            guard p.count == 2 * axes.count else { throw ctx.input(1, "pads \(p) for axes \(axes)") }
            var full = [Int](repeating: 0, count: 2 * rank)
            for (j, a) in axes.enumerated() { full[a] = p[j]; full[a + rank] = p[j + axes.count] }
            p = full
        }
        guard p.count == 2 * rank else { throw ctx.attribute("pads", "expected \(2 * rank) values, got \(p.count)") }
        // Bounded so that size + pads cannot overflow; no real model comes near.
        guard p.allSatisfy({ (-Window.maxExtent...Window.maxExtent).contains($0) }) else {
            throw ctx.input(1, "pads \(p) beyond ±\(Window.maxExtent)")
        }
        return p
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        try ctx.requireConstant([1, 3], inputs, constants)
        let p = try pads(x.shape.count, constants)
        let shape = x.shape.enumerated().map { $0.element + p[$0.offset] + p[$0.offset + x.shape.count] }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw ctx.shape("pads \(p) make a negative size for \(x.shape)") }
        return [TensorType(x.dtype, shape)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let xt = try ctx.required(inputs, 0)
        let r = xt.shape.count, p = try pads(r, inputs)
        let shape = xt.shape.enumerated().map { $0.element + p[$0.offset] + p[$0.offset + r] }
        // The source element of each output element, -1 for the constant.
        let s = strides(xt.shape)
        var source = [Int](repeating: -1, count: shape.product)
        forEachIndex(shape) { flat, i in
            var o = 0
            for d in 0..<r {
                var c = i[d] - p[d]
                let n = xt.shape[d]
                if c < 0 || c >= n {
                    if mode == "constant" || n == 0 { return }
                    switch mode {
                    case "edge": c = c < 0 ? 0 : n - 1
                    case "wrap": c = ((c % n) + n) % n
                    default:  // reflect
                        let period = max(2 * (n - 1), 1)
                        c = ((c % period) + period) % period
                        if c >= n { c = period - c }
                    }
                }
                o += c * s[d]
            }
            source[flat] = o
        }
        let value = attrValue(inputs)
        if xt.dtype == .float32 {
            let x = xt.floats(), v = Float(value)
            return [try makeFloat(shape, source.map { $0 < 0 ? v : x[$0] }, ctx)]
        }
        if xt.dtype.isFloatingPoint {
            let x = xt.doubles()
            let y = source.map { $0 < 0 ? value : x[$0] }
            return [try convertedTensor(shape, y, to: xt.dtype, ctx)]
        }
        let x = xt.int64s(), fill = Int64(saturating: value)
        return [try intTensor(shape, source.map { $0 < 0 ? fill : x[$0] }, like: xt.dtype, ctx)]
    }

    private func attrValue(_ inputs: [Tensor?]) -> Double {
        if inputs.count > 2, let t = inputs[2], let v = t.doubles().first { return v }
        if case .float(let f)? = node.attributes["value"] { return Double(f) }
        return 0
    }
}
