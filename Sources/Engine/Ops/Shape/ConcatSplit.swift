import Kernels
import Tensor

/// Concat: inputs joined along `axis`, written into the run's arena, large ones copied on all threads.
struct ConcatOp: Operator {
    /// Concat copies at least this many bytes on all the run's threads, in pieces of at most `pieceBytes`.
    static let parallelBytes = 1 << 18, pieceBytes = 1 << 16
    let ctx: NodeContext
    let axis: Int?

    init(_ n: Node) throws(EngineError) {
        ctx = n.context
        axis = try n.int("axis")
    }

    /// The output shape and the normalised axis.
    func shape(_ shapes: [[Int]], _ dtypes: [DType]) throws(EngineError) -> ([Int], Int) {
        guard let first = shapes.first else { throw ctx.input(0, "no inputs") }
        let a = try normalizedAxis(axis ?? Int.min, rank: first.count, ctx)
        for (i, s) in shapes.enumerated() where s.count != first.count || dtypes[i] != dtypes[0]
            || zip(s, first).enumerated().contains(where: { $0.offset != a && $0.element.0 != $0.element.1 }) {
            throw ctx.input(i, "shape \(s) does not concatenate with \(first) on axis \(a)")
        }
        var out = first
        out[a] = shapes.map { $0[a] }.reduce(0, +)
        return (out, a)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let ts = inputs.compactMap { $0 }
        let (shape, _) = try self.shape(ts.map(\.shape), ts.map(\.dtype))
        return [TensorType(ts[0].dtype, shape)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] { try run(inputs, .serial) }
    var writesIntoArena: Bool { true }

    func run(_ inputs: [Tensor?], _ rc: RunContext) throws(EngineError) -> [Tensor] {
        let ts = inputs.compactMap { $0 }
        let (outShape, axis) = try shape(ts.map(\.shape), ts.map(\.dtype))
        let first = ts[0]
        let outer = first.shape.prefix(axis).product
        var data: [(Tensor, Int)] = []  // (tensor, block size)
        for t in ts { data.append((t, t.shape.dropFirst(axis).product)) }
        var out = try rc.output(0, first.dtype, outShape, ctx)  // every byte is copied below
        let w = first.dtype.byteSize
        // The copies in output order, cut into pieces of at most `pieceBytes`: (source, destination offset,
        // bytes). `ts` keeps every source's storage alive while its address is used.
        var pieces: [(UnsafeRawPointer, Int, Int)] = []
        var o = 0
        for b in 0..<outer {
            for (t, block) in data {
                if block > 0, let src = t.withUnsafeBytes({ $0.baseAddress }) {
                    for at in stride(from: 0, to: block * w, by: Self.pieceBytes) {
                        pieces.append((src + b * block * w + at, o * w + at, min(Self.pieceBytes, block * w - at)))
                    }
                }
                o += block
            }
        }
        // A large concatenation (DenseNet's, megabytes at batch 8) is bound by memory bandwidth, which one
        // core does not saturate: the pieces are shared out; small ones stay inline (a handoff costs more).
        let threads = o * w >= Self.parallelBytes ? rc.workers : 1
        out.withUnsafeMutableBytes { dst in
            Parallel.run(tasks: pieces.count, threads: threads) { i, _ in
                let (src, at, bytes) = pieces[i]
                dst.baseAddress!.advanced(by: at).copyMemory(from: src, byteCount: bytes)
            }
        }
        return [out]
    }
}

/// Split: `axis` cut into the sizes of the `split` attribute (< 13) or input, else into `num_outputs` (18+)
/// or as many equal parts as the node has outputs (the last one smaller).
struct SplitOp: Operator {
    let ctx: NodeContext
    let node: Node
    let axis: Int
    let outputs: Int

    init(_ n: Node) throws(EngineError) {
        ctx = n.context
        node = n
        axis = try n.int("axis", default: 0) ?? 0
        outputs = n.outputs.count
    }

    /// The normalised axis and the size of each part.
    func parts(_ x: [Int], _ inputs: [Tensor?]) throws(EngineError) -> (Int, [Int]) {
        let a = try normalizedAxis(axis, rank: x.count, ctx)
        var sizes = try node.ints("split") ?? (inputs.count > 1 ? inputs[1]?.ints() : nil)
        if sizes == nil {
            let n = try node.int("num_outputs", default: outputs) ?? outputs
            guard n == outputs else { throw ctx.attribute("num_outputs", "is \(n), the node has \(outputs) outputs") }
            let chunk = (x[a] + n - 1) / max(n, 1)
            sizes = (0..<n).map { min(chunk, max(0, x[a] - $0 * chunk)) }
        }
        guard let sizes, sizes.allSatisfy({ (0...x[a]).contains($0) }), sizes.reduce(0, +) == x[a], sizes.count == outputs else {
            throw ctx.attribute("split", "sizes \(sizes ?? []) do not split \(x[a]) into \(outputs) outputs")
        }
        return (a, sizes)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        try ctx.requireConstant([1], inputs, constants)
        let (a, sizes) = try parts(x.shape, constants)
        return sizes.map { s in
            var shape = x.shape
            shape[a] = s
            return TensorType(x.dtype, shape)
        }
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let x = try ctx.required(inputs, 0)
        let (a, sizes) = try parts(x.shape, inputs)
        var start = 0, results: [Tensor] = []
        for count in sizes {
            var shape = x.shape
            shape[a] = count
            let s = strides(x.shape), from = start
            var idx = [Int](repeating: 0, count: shape.product)
            forEachIndex(shape) { flat, i in
                var o = 0
                for d in 0..<i.count { o += (d == a ? i[d] + from : i[d]) * s[d] }
                idx[flat] = o
            }
            results.append(try gatherElements(x, idx, shape: shape, ctx))
            start += count
        }
        return results
    }
}

extension ConcatOp {
    /// Joining along any axis but the batch keeps each image's blocks together.
    func keepsImagesApart(_ inputs: [TensorType?], constant: [Bool], outputRank: Int) -> Bool {
        guard let a = axis else { return false }
        return (a < 0 ? a + outputRank : a) != 0
    }
}
