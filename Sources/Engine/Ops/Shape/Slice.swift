import Tensor

/// Slice: starts/ends/axes as attributes (< 10) or inputs 1–4 with steps (10+), clamped as the spec says
/// (INT64_MAX ends, steps longer than the axis), any element type.
struct SliceOp: Operator {
    let ctx: NodeContext
    let node: Node
    let opset: Int

    init(_ n: Node, _ opset: Int) {
        ctx = n.context
        node = n
        self.opset = opset
    }

    /// The first index and step on every axis, and the output shape.
    func window(_ x: [Int], _ inputs: [Tensor?]) throws(EngineError) -> (begin: [Int], step: [Int], shape: [Int]) {
        let rank = x.count
        var starts: [Int], ends: [Int], axes: [Int], steps: [Int]
        if opset < 10 {
            starts = try node.ints("starts") ?? []
            ends = try node.ints("ends") ?? []
            axes = try node.ints("axes") ?? Array(0..<starts.count)
            steps = [Int](repeating: 1, count: starts.count)
        } else {
            starts = try ctx.ints(inputs, 1)
            ends = try ctx.ints(inputs, 2)
            axes = inputs.count > 3 && inputs[3] != nil ? try ctx.ints(inputs, 3) : Array(0..<starts.count)
            steps = inputs.count > 4 && inputs[4] != nil ? try ctx.ints(inputs, 4) : [Int](repeating: 1, count: starts.count)
        }
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw ctx.input(1, "starts/ends/axes/steps have different lengths")
        }
        var begin = [Int](repeating: 0, count: rank), step = [Int](repeating: 1, count: rank), shape = x
        for (j, a0) in axes.enumerated() {
            let a = a0 < 0 ? a0 + rank : a0
            guard a >= 0, a < rank else { throw ctx.input(3, "axis \(a0) out of range") }
            let dim = x[a]
            guard steps[j] != 0 else { throw ctx.input(4, "step 0") }
            // A step longer than the axis takes one element, as any longer one would: clamping it keeps the
            // arithmetic below from overflowing on INT64_MAX/INT64_MIN steps.
            let st = min(max(steps[j], -(dim + 1)), dim + 1)
            var s = starts[j] < 0 ? starts[j] + dim : starts[j]
            var e = ends[j] < 0 ? ends[j] + dim : ends[j]
            if st > 0 {
                s = min(max(s, 0), dim); e = min(max(e, 0), dim)
                shape[a] = max(0, (e - s + st - 1) / st)
            } else {
                s = min(max(s, -1), dim - 1); e = min(max(e, -1), dim - 1)
                shape[a] = max(0, (s - e + (-st) - 1) / (-st))
            }
            begin[a] = s
            step[a] = st
        }
        return (begin, step, shape)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        try ctx.requireConstant([1, 2, 3, 4], inputs, constants)
        return [TensorType(x.dtype, try window(x.shape, constants).shape)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let x = try ctx.required(inputs, 0)
        let (begin, step, shape) = try window(x.shape, inputs)
        let s = strides(x.shape)
        var idx = [Int](repeating: 0, count: try materializable(shape, ctx))
        forEachIndex(shape) { flat, i in
            var o = 0
            for d in 0..<shape.count { o += (begin[d] + i[d] * step[d]) * s[d] }
            idx[flat] = o
        }
        return [try gatherElements(x, idx, shape: shape, ctx)]
    }
}
