import Tensor

/// Where(condition, X, Y) and Equal(A, B) with numpy broadcasting, on every element type: the blocks
/// transformer exports build attention masks from.
struct SelectOp: Operator {
    enum Kind { case `where`, equal }
    let ctx: NodeContext
    let kind: Kind

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let count = kind == .where ? 3 : 2
        let ts = try (0..<count).map { i throws(EngineError) in try ctx.required(inputs, i) }
        if kind == .where {
            guard ts[0].dtype == .bool else { throw ctx.input(0, "condition must be bool, got \(ts[0].dtype.rawValue)") }
        }
        let values = kind == .where ? Array(ts.dropFirst()) : ts
        guard values[0].dtype == values[1].dtype else {
            throw ctx.shape("mixed element types \(values[0].dtype.rawValue) and \(values[1].dtype.rawValue)")
        }
        guard let shape = broadcastShape(ts.map(\.shape)) else {
            throw ctx.shape("shapes \(ts.map { "\($0.shape)" }.joined(separator: ", ")) do not broadcast")
        }
        _ = try materializable(shape, ctx)
        return [TensorType(kind == .where ? values[0].dtype : .bool, shape)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let type = try outputTypes(inputs.map { $0.map { TensorType($0.dtype, $0.shape) } }, constants: [])[0]
        switch kind {
        case .equal:
            let a = try ctx.required(inputs, 0), b = try ctx.required(inputs, 1)
            let ia = broadcastIndices(a.shape, to: type.shape), ib = broadcastIndices(b.shape, to: type.shape)
            let equal: [Bool]
            if a.dtype.isFloatingPoint {
                let x = a.doubles(), y = b.doubles()
                equal = zip(ia, ib).map { x[$0] == y[$1] }
            } else {
                let x = a.int64s(), y = b.int64s()
                equal = zip(ia, ib).map { x[$0] == y[$1] }
            }
            return [try makeTensor(type.shape, equal, ctx)]
        case .where:
            let c = try ctx.required(inputs, 0), x = try ctx.required(inputs, 1), y = try ctx.required(inputs, 2)
            let condition = c.int64s()
            let ic = broadcastIndices(c.shape, to: type.shape), ix = broadcastIndices(x.shape, to: type.shape)
            let iy = broadcastIndices(y.shape, to: type.shape)
            var out: Tensor
            do { out = try Tensor(uninitialized: x.dtype, shape: type.shape) } catch { throw ctx.shape(error.description) }
            let w = x.dtype.byteSize
            x.withUnsafeBytes { xs in
                y.withUnsafeBytes { ys in
                    out.withUnsafeMutableBytes { dst in
                        for i in 0..<ic.count {
                            let (src, j) = condition[ic[i]] != 0 ? (xs, ix[i]) : (ys, iy[i])
                            for b in 0..<w { dst[i * w + b] = src[j * w + b] }
                        }
                    }
                }
            }
            return [out]
        }
    }
}

/// ArgMax / ArgMin along `axis` (keepdims, select_last_index) -> int64 indices.
struct ArgReduceOp: Operator {
    let ctx: NodeContext
    let isMax: Bool
    let axis: Int, keepDims: Bool, lastIndex: Bool

    init(_ n: Node, max: Bool) throws(EngineError) {
        ctx = n.context
        isMax = max
        axis = try n.int("axis", default: 0) ?? 0
        keepDims = (try n.int("keepdims", default: 1) ?? 1) != 0
        lastIndex = (try n.int("select_last_index", default: 0) ?? 0) != 0
    }

    private func layout(_ shape: [Int]) throws(EngineError) -> (axis: Int, out: [Int]) {
        let a = try normalizedAxis(axis, rank: shape.count, ctx)
        var out = shape
        if keepDims { out[a] = 1 } else { out.remove(at: a) }
        return (a, out)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        guard x.dtype != .bool else { throw ctx.input(0, "expected a numeric tensor, got bool") }
        return [TensorType(.int64, try layout(x.shape).out)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let xt = try ctx.required(inputs, 0)
        let (a, out) = try layout(xt.shape)
        let x = xt.doubles(), len = xt.shape[a]
        let outer = xt.shape.prefix(a).product, inner = xt.shape.dropFirst(a + 1).product
        guard len > 0 else { throw ctx.input(0, "axis \(a) is empty") }
        var result = [Int64](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                var best = x[o * len * inner + i], at = 0
                for k in 1..<len {
                    let v = x[(o * len + k) * inner + i]
                    // NaN never wins; ties go to the first index unless select_last_index.
                    let better = isMax ? (v > best || (lastIndex && v == best)) : (v < best || (lastIndex && v == best))
                    if better { best = v; at = k }
                }
                result[o * inner + i] = Int64(at)
            }
        }
        return [try makeTensor(out, result, ctx)]
    }
}
