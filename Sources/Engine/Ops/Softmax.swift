import Foundation
import Tensor

/// Softmax / LogSoftmax. Before opset 13 the input is coerced to 2-D at `axis` (default 1);
/// from 13 the op runs along one axis (default -1).
struct SoftmaxOp: Operator {
    let ctx: NodeContext
    let axis: Int, log: Bool, legacy: Bool

    init(_ n: Node, _ opset: Int, log: Bool) throws(EngineError) {
        ctx = n.context
        legacy = opset < 13
        axis = try n.int("axis", default: legacy ? 1 : -1) ?? -1
        self.log = log
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        _ = try normalizedAxis(axis, rank: x.shape.count, ctx)
        return [x]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let xt = try ctx.required(inputs, 0)
        let a = try normalizedAxis(axis, rank: xt.shape.count, ctx)
        var x = xt.floats()
        let (outer, n, inner): (Int, Int, Int) = legacy
            ? (xt.shape.prefix(a).product, xt.shape.dropFirst(a).product, 1)
            : (xt.shape.prefix(a).product, xt.shape[a], xt.shape.dropFirst(a + 1).product)
        // The sum of the exponentials in Double: a float sum of thousands of terms (an OCR head's 18 710
        // classes) dominated by one loses ~3e-4 of the result (measured against ONNX Runtime on PP-OCRv6).
        var e = [Float](repeating: 0, count: n)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * n * inner + i
                var m = -Float.infinity
                for k in 0..<n { m = max(m, x[base + k * inner]) }
                var sum = 0.0
                for k in 0..<n {
                    e[k] = exp(x[base + k * inner] - m)
                    sum += Double(e[k])
                }
                if log {
                    let shift = m + Float(Foundation.log(sum))
                    for k in 0..<n { x[base + k * inner] -= shift }
                } else {
                    for k in 0..<n { x[base + k * inner] = Float(Double(e[k]) / sum) }
                }
            }
        }
        return [try makeFloat(xt.shape, x, ctx)]
    }
}

/// ReduceMean / ReduceSum / ReduceMax / ReduceMin: axes as attribute or (ReduceSum ≥ 13, others ≥ 18) input.
struct ReduceOp: Operator {
    enum Kind: String { case mean = "ReduceMean", sum = "ReduceSum", max = "ReduceMax", min = "ReduceMin" }
    let ctx: NodeContext
    let node: Node
    let kind: Kind
    let keepDims: Bool, noopWithEmptyAxes: Bool

    init(_ n: Node, _ opset: Int, _ kind: Kind) throws(EngineError) {
        ctx = n.context
        node = n
        self.kind = kind
        keepDims = (try n.int("keepdims", default: 1) ?? 1) != 0
        noopWithEmptyAxes = (try n.int("noop_with_empty_axes", default: 0) ?? 0) != 0
    }

    private func resolvedAxes(_ rank: Int, _ inputs: [Tensor?]) throws(EngineError) -> [Int]? {
        var a = try node.ints("axes")
        if a == nil, inputs.count > 1, let t = inputs[1] { a = t.ints() }
        guard let a, !a.isEmpty else { return noopWithEmptyAxes ? nil : Array(0..<rank) }
        var out: [Int] = []
        for v in a { out.append(try normalizedAxis(v, rank: rank, ctx, "axes")) }
        return out
    }

    private func outShape(_ shape: [Int], _ axes: [Int]) -> [Int] {
        keepDims ? shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
            : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        try ctx.requireConstant([1], inputs, constants)
        guard let axes = try resolvedAxes(x.shape.count, constants) else { return [x] }
        return [TensorType(x.dtype, outShape(x.shape, axes))]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let xt = try ctx.required(inputs, 0)
        guard let axes = try resolvedAxes(xt.shape.count, inputs) else { return [xt] }
        let shape = outShape(xt.shape, axes), kept = xt.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        // Accumulated in Double (a float sum over a 128² plane loses digits), rounded (integers: truncated)
        // once into the input's type.
        return [try convertedTensor(shape, reduce(xt.doubles(), xt.shape, axes, kept), to: xt.dtype, ctx)]
    }

    private func reduce(_ x: [Double], _ xShape: [Int], _ axes: [Int], _ kept: [Int]) -> [Double] {
        let ks = strides(kept)
        var acc = [Double](repeating: kind == .max ? -.infinity : (kind == .min ? .infinity : 0), count: kept.product)
        forEachIndex(xShape) { flat, i in
            var o = 0
            for d in 0..<i.count where !axes.contains(d) { o += i[d] * ks[d] }
            switch kind {
            case .sum, .mean: acc[o] += x[flat]
            case .max: acc[o] = Swift.max(acc[o], x[flat])
            case .min: acc[o] = Swift.min(acc[o], x[flat])
            }
        }
        if kind == .mean {
            let n = Double(axes.map { xShape[$0] }.product)
            for i in acc.indices { acc[i] /= n }
        }
        return acc
    }
}

extension SoftmaxOp {
    /// Rows are images when the axis (before opset 13: the first flattened axis) is not the batch.
    func keepsImagesApart(_ inputs: [TensorType?], constant: [Bool], outputRank: Int) -> Bool {
        (axis < 0 ? axis + outputRank : axis) != 0
    }
}
