import Tensor

/// Gather: slices of `axis` picked by the indices (negative ones count from the end), any element type.
struct GatherOp: Operator {
    let ctx: NodeContext
    let axis: Int

    init(_ n: Node) throws(EngineError) {
        ctx = n.context
        axis = try n.int("axis", default: 0) ?? 0
    }

    func shape(_ x: [Int], indices: [Int]) throws(EngineError) -> (axis: Int, shape: [Int]) {
        guard !x.isEmpty else { throw ctx.input(0, "Gather needs data of rank 1 or more, got a scalar") }
        let a = try normalizedAxis(axis, rank: x.count, ctx)
        return (a, Array(x.prefix(a)) + indices + Array(x.dropFirst(a + 1)))
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0), i = try ctx.required(inputs, 1)
        return [TensorType(x.dtype, try shape(x.shape, indices: i.shape).shape)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let x = try ctx.required(inputs, 0), it = try ctx.required(inputs, 1)
        let (axis, outShape) = try shape(x.shape, indices: it.shape)
        let indices = try ctx.ints(inputs, 1).map { $0 < 0 ? $0 + x.shape[axis] : $0 }
        guard indices.allSatisfy({ $0 >= 0 && $0 < x.shape[axis] }) else { throw ctx.input(1, "index out of range for axis size \(x.shape[axis])") }
        let outer = x.shape.prefix(axis).product, inner = x.shape.dropFirst(axis + 1).product
        var idx: [Int] = []
        idx.reserveCapacity(try materializable(outShape, ctx))
        for o in 0..<outer { for i in indices { for k in 0..<inner { idx.append((o * x.shape[axis] + i) * inner + k) } } }
        return [try gatherElements(x, idx, shape: outShape, ctx)]
    }
}

/// Expand: numpy broadcasting of the input to the shape input.
struct ExpandOp: ShapedByInput {
    let ctx: NodeContext

    func shape(_ x: [Int], _ target: [Int]) throws(EngineError) -> [Int] {
        guard let shape = broadcastShape([x, target]) else { throw ctx.shape("cannot expand \(x) to \(target)") }
        _ = try materializable(shape, ctx)
        return shape
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let (x, shape) = try resolved(inputs)
        return [try gatherElements(x, broadcastIndices(x.shape, to: shape), shape: shape, ctx)]
    }
}

/// Tile: the input repeated `repeats[d]` times along each axis.
struct TileOp: ShapedByInput {
    let ctx: NodeContext

    func shape(_ x: [Int], _ reps: [Int]) throws(EngineError) -> [Int] {
        guard reps.count == x.count, reps.allSatisfy({ $0 >= 0 }) else { throw ctx.input(1, "repeats \(reps) for rank \(x.count)") }
        let shape = zip(x, reps).map { $0.multipliedReportingOverflow(by: $1) }.map { $0.overflow ? -1 : $0.partialValue }
        _ = try materializable(shape, ctx)
        return shape
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let (x, outShape) = try resolved(inputs)
        let s = strides(x.shape)
        var idx = [Int](repeating: 0, count: outShape.product)
        forEachIndex(outShape) { flat, i in
            var o = 0
            for d in 0..<i.count { o += (i[d] % x.shape[d]) * s[d] }
            idx[flat] = o
        }
        return [try gatherElements(x, idx, shape: outShape, ctx)]
    }
}
