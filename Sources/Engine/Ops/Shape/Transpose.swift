import Tensor

/// Transpose: axes permuted by `perm` (default: reversed), any element type.
struct TransposeOp: Operator {
    let ctx: NodeContext
    let perm: [Int]?

    init(_ n: Node) throws(EngineError) {
        ctx = n.context
        perm = try n.ints("perm")
    }

    func permutation(_ rank: Int) throws(EngineError) -> [Int] {
        let p = perm ?? Array((0..<rank).reversed())
        guard p.sorted() == Array(0..<rank) else { throw ctx.attribute("perm", "\(p) is not a permutation of 0..<\(rank)") }
        return p
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        return [TensorType(x.dtype, try permutation(x.shape.count).map { x.shape[$0] })]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let x = try ctx.required(inputs, 0)
        let p = try permutation(x.shape.count)
        let outShape = p.map { x.shape[$0] }, inStrides = strides(x.shape)
        var idx = [Int](repeating: 0, count: x.count)
        forEachIndex(outShape) { flat, i in
            var o = 0
            for (d, a) in p.enumerated() { o += i[d] * inStrides[a] }
            idx[flat] = o
        }
        return [try gatherElements(x, idx, shape: outShape, ctx)]
    }
}

extension TransposeOp {
    func keepsImagesApart(_ inputs: [TensorType?], constant: [Bool], outputRank: Int) -> Bool {
        (try? permutation(outputRank))?.first == 0
    }
}
