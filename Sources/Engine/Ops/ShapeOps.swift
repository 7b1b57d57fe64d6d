import Kernels
import Tensor

/// Ops that only move or reinterpret elements: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat,
/// Split, Slice, Gather, Expand, Tile, Shape, Cast, Constant, ConstantOfShape. All dtype-generic.
struct ShapeOp: Operator {
    /// Concat copies at least this many bytes on all the run's threads, in pieces of at most `concatPieceBytes`.
    static let parallelConcatBytes = 1 << 18, concatPieceBytes = 1 << 16
    enum Kind: String {
        case reshape = "Reshape", flatten = "Flatten", squeeze = "Squeeze", unsqueeze = "Unsqueeze", transpose = "Transpose"
        case concat = "Concat", split = "Split", slice = "Slice", gather = "Gather", expand = "Expand", tile = "Tile"
        case shape = "Shape", cast = "Cast", constant = "Constant", constantOfShape = "ConstantOfShape"
    }
    let ctx: NodeContext
    let node: Node
    let kind: Kind
    let opset: Int

    init(_ n: Node, _ opset: Int, _ kind: Kind) {
        ctx = n.context
        node = n
        self.kind = kind
        self.opset = opset
    }

    // MARK: types

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        switch kind {
        case .constant:
            return [TensorType(try constantValue().dtype, try constantValue().shape)]
        case .constantOfShape:
            guard let dims = try constantInts(constants, 0, ctx) else { throw ctx.input(0, "the shape must be a constant") }
            guard dims.allSatisfy({ $0 >= 0 }) else { throw ctx.input(0, "negative dimension in \(dims)") }
            return [TensorType(try fillValue().dtype, dims)]
        case .shape:
            let x = try ctx.required(inputs, 0)
            let (s, e) = try shapeRange(x.shape.count)
            return [TensorType(.int64, [max(0, e - s)])]
        case .cast:
            return [TensorType(try castTarget(), try ctx.required(inputs, 0).shape)]
        default:
            let shapeInputs: [Kind: [Int]] = [.reshape: [1], .expand: [1], .tile: [1], .slice: [1, 2, 3, 4], .split: [1],
                                              .squeeze: [1], .unsqueeze: [1]]
            try ctx.requireConstant(shapeInputs[kind] ?? [], inputs, constants)
            // Everything else: run on a zero tensor of the input type; cheap at plan time for shape logic,
            // and keeps one definition of each op's shape rules.
            var probe: [Tensor?] = []
            for (i, t) in inputs.enumerated() {
                if i < constants.count, let c = constants[i] {
                    probe.append(c)
                } else if let t {
                    do { probe.append(try Tensor(zeros: t.dtype, shape: t.shape)) } catch { throw ctx.shape(error.description) }
                } else {
                    probe.append(nil)
                }
            }
            return try run(probe).map { TensorType($0.dtype, $0.shape) }
        }
    }

    private func constantValue() throws(EngineError) -> Tensor {
        if let t = try node.tensor("value") { return t }
        if let f = try node.floats("value_floats") { return try makeFloat([f.count], f, ctx) }
        if case .float(let f)? = node.attributes["value_float"] { return try makeFloat([], [f], ctx) }
        if let i = try node.ints("value_ints"), node.attributes["value_ints"] != nil { return try makeTensor([i.count], i.map { Int64($0) }, ctx) }
        if case .int(let i)? = node.attributes["value_int"] { return try makeTensor([], [Int64(i)], ctx) }
        throw ctx.attribute("value", "Constant needs value, value_float(s) or value_int(s) (sparse and string values are not supported)")
    }

    private func fillValue() throws(EngineError) -> Tensor {
        if let t = try node.tensor("value") { return t }
        return try makeFloat([1], [0], ctx)
    }

    private func castTarget() throws(EngineError) -> DType {
        let to = try node.int("to") ?? -1
        guard let t = DType(onnxDataType: to) else { throw ctx.attribute("to", "unsupported target type \(to)") }
        return t
    }

    private func shapeRange(_ rank: Int) throws(EngineError) -> (Int, Int) {
        var s = try node.int("start", default: 0) ?? 0, e = try node.int("end", default: rank) ?? rank
        if s < 0 { s += rank }
        if e < 0 { e += rank }
        return (min(max(s, 0), rank), min(max(e, 0), rank))
    }

    /// Axes from the attribute (old opsets) or from input `i` (newer ones).
    private func axes(_ inputs: [Tensor?], input i: Int) throws(EngineError) -> [Int]? {
        if let a = try node.ints("axes") { return a }
        if i < inputs.count, let t = inputs[i] { return t.ints() }
        return nil
    }

    // MARK: run

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] { try run(inputs, .serial) }
    var writesIntoArena: Bool { kind == .concat }

    func run(_ inputs: [Tensor?], _ rc: RunContext) throws(EngineError) -> [Tensor] {
        switch kind {
        case .constant: return [try constantValue()]
        case .constantOfShape:
            let dims = try ctx.ints(inputs, 0)
            let v = try fillValue()
            return [try gatherElements(v, [Int](repeating: 0, count: try materializable(dims, ctx)), shape: dims, ctx)]
        case .shape:
            let x = try ctx.required(inputs, 0)
            let (s, e) = try shapeRange(x.shape.count)
            return [try makeTensor([max(0, e - s)], x.shape[s..<max(s, e)].map { Int64($0) }, ctx)]
        case .cast: return [try cast(try ctx.required(inputs, 0), to: try castTarget())]
        case .reshape:
            let x = try ctx.required(inputs, 0)
            var dims = try ctx.ints(inputs, 1)
            let allowZero = (try node.int("allowzero", default: 0) ?? 0) != 0
            for i in dims.indices where dims[i] == 0 && !allowZero {
                guard i < x.shape.count else { throw ctx.input(1, "0 at position \(i) beyond input rank \(x.shape.count)") }
                dims[i] = x.shape[i]
            }
            if let at = dims.firstIndex(of: -1) {
                let known = dims.enumerated().filter { $0.offset != at }.map(\.element).product
                guard known > 0, x.count % known == 0 else { throw ctx.shape("cannot reshape \(x.shape) to \(dims)") }
                dims[at] = x.count / known
            }
            guard dims.allSatisfy({ $0 >= 0 }), dims.product == x.count else { throw ctx.shape("cannot reshape \(x.shape) to \(dims)") }
            return [try reshaped(x, dims)]
        case .flatten:
            let x = try ctx.required(inputs, 0)
            var axis = try node.int("axis", default: 1) ?? 1
            if axis < 0 { axis += x.shape.count }
            guard axis >= 0, axis <= x.shape.count else { throw ctx.attribute("axis", "out of range for rank \(x.shape.count)") }
            return [try reshaped(x, [x.shape.prefix(axis).product, x.shape.dropFirst(axis).product])]
        case .squeeze:
            let x = try ctx.required(inputs, 0)
            let a = try axes(inputs, input: 1)?.map { $0 < 0 ? $0 + x.shape.count : $0 }
            if let a, let bad = a.first(where: { $0 < 0 || $0 >= x.shape.count || x.shape[$0] != 1 }) {
                throw ctx.attribute("axes", "cannot squeeze axis \(bad) of shape \(x.shape)")
            }
            let dims: [Int]
            if let a {
                dims = x.shape.enumerated().filter { !a.contains($0.offset) }.map(\.element)
            } else {
                dims = x.shape.filter { $0 != 1 }
            }
            return [try reshaped(x, dims)]
        case .unsqueeze:
            let x = try ctx.required(inputs, 0)
            guard let a0 = try axes(inputs, input: 1) else { throw ctx.attribute("axes", "required") }
            let rank = x.shape.count + a0.count
            let a = Set(a0.map { $0 < 0 ? $0 + rank : $0 })
            guard a.count == a0.count, a.allSatisfy({ $0 >= 0 && $0 < rank }) else { throw ctx.attribute("axes", "\(a0) invalid for output rank \(rank)") }
            var dims: [Int] = [], it = x.shape.makeIterator()
            for i in 0..<rank { dims.append(a.contains(i) ? 1 : (it.next() ?? 1)) }
            return [try reshaped(x, dims)]
        case .transpose:
            let x = try ctx.required(inputs, 0)
            let perm = try node.ints("perm") ?? Array((0..<x.shape.count).reversed())
            guard perm.sorted() == Array(0..<x.shape.count) else { throw ctx.attribute("perm", "\(perm) is not a permutation of 0..<\(x.shape.count)") }
            let outShape = perm.map { x.shape[$0] }, inStrides = strides(x.shape)
            var idx = [Int](repeating: 0, count: x.count)
            forEachIndex(outShape) { flat, i in
                var o = 0
                for (d, p) in perm.enumerated() { o += i[d] * inStrides[p] }
                idx[flat] = o
            }
            return [try gatherElements(x, idx, shape: outShape, ctx)]
        case .concat:
            let ts = inputs.compactMap { $0 }
            guard let first = ts.first else { throw ctx.input(0, "no inputs") }
            let axis = try normalizedAxis(try node.int("axis") ?? Int.min, rank: first.shape.count, ctx)
            for (i, t) in ts.enumerated() where t.shape.count != first.shape.count || t.dtype != first.dtype
                || zip(t.shape, first.shape).enumerated().contains(where: { $0.offset != axis && $0.element.0 != $0.element.1 }) {
                throw ctx.input(i, "shape \(t.shape) does not concatenate with \(first.shape) on axis \(axis)")
            }
            var outShape = first.shape
            outShape[axis] = ts.map { $0.shape[axis] }.reduce(0, +)
            let outer = first.shape.prefix(axis).product
            var data: [(Tensor, Int)] = []  // (tensor, block size)
            for t in ts { data.append((t, t.shape.dropFirst(axis).product)) }
            var out = try rc.output(0, first.dtype, outShape, ctx)  // every byte is copied below
            let w = first.dtype.byteSize
            // The copies in output order, cut into pieces of at most `concatPieceBytes`: (source, destination
            // offset, bytes). `ts` keeps every source's storage alive while its address is used.
            var pieces: [(UnsafeRawPointer, Int, Int)] = []
            var o = 0
            for b in 0..<outer {
                for (t, block) in data {
                    if block > 0, let src = t.withUnsafeBytes({ $0.baseAddress }) {
                        for at in stride(from: 0, to: block * w, by: Self.concatPieceBytes) {
                            pieces.append((src + b * block * w + at, o * w + at, min(Self.concatPieceBytes, block * w - at)))
                        }
                    }
                    o += block
                }
            }
            // A large concatenation (DenseNet's, megabytes at batch 8) is bound by memory bandwidth, which one
            // core does not saturate: the pieces are shared out; small ones stay inline (a handoff costs more).
            let threads = o * w >= Self.parallelConcatBytes ? rc.workers : 1
            out.withUnsafeMutableBytes { dst in
                Parallel.run(tasks: pieces.count, threads: threads) { i, _ in
                    let (src, at, bytes) = pieces[i]
                    dst.baseAddress!.advanced(by: at).copyMemory(from: src, byteCount: bytes)
                }
            }
            return [out]
        case .split:
            let x = try ctx.required(inputs, 0)
            let axis = try normalizedAxis(try node.int("axis", default: 0) ?? 0, rank: x.shape.count, ctx)
            var sizes = try node.ints("split") ?? (inputs.count > 1 ? inputs[1]?.ints() : nil)
            let outputs = node.outputs.count
            if sizes == nil {
                let n = try node.int("num_outputs", default: outputs) ?? outputs
                guard n == outputs else { throw ctx.attribute("num_outputs", "is \(n), the node has \(outputs) outputs") }
                let chunk = (x.shape[axis] + n - 1) / max(n, 1)
                sizes = (0..<n).map { min(chunk, max(0, x.shape[axis] - $0 * chunk)) }
            }
            guard let sizes, sizes.allSatisfy({ (0...x.shape[axis]).contains($0) }), sizes.reduce(0, +) == x.shape[axis],
                  sizes.count == outputs else {
                throw ctx.attribute("split", "sizes \(sizes ?? []) do not split \(x.shape[axis]) into \(outputs) outputs")
            }
            var start = 0, results: [Tensor] = []
            for s in sizes {
                results.append(try sliceAxis(x, axis: axis, start: start, count: s))
                start += s
            }
            return results
        case .slice:
            return [try slice(inputs)]
        case .gather:
            let x = try ctx.required(inputs, 0), it = try ctx.required(inputs, 1)
            guard !x.shape.isEmpty else { throw ctx.input(0, "Gather needs data of rank 1 or more, got a scalar") }
            let axis = try normalizedAxis(try node.int("axis", default: 0) ?? 0, rank: x.shape.count, ctx)
            let indices = try ctx.ints(inputs, 1).map { $0 < 0 ? $0 + x.shape[axis] : $0 }
            guard indices.allSatisfy({ $0 >= 0 && $0 < x.shape[axis] }) else { throw ctx.input(1, "index out of range for axis size \(x.shape[axis])") }
            let outShape = Array(x.shape.prefix(axis)) + it.shape + Array(x.shape.dropFirst(axis + 1))
            let outer = x.shape.prefix(axis).product, inner = x.shape.dropFirst(axis + 1).product
            var idx: [Int] = []
            idx.reserveCapacity(try materializable(outShape, ctx))
            for o in 0..<outer { for i in indices { for k in 0..<inner { idx.append((o * x.shape[axis] + i) * inner + k) } } }
            return [try gatherElements(x, idx, shape: outShape, ctx)]
        case .expand:
            let x = try ctx.required(inputs, 0)
            guard let shape = broadcastShape([x.shape, try ctx.ints(inputs, 1)]) else { throw ctx.shape("cannot expand \(x.shape)") }
            _ = try materializable(shape, ctx)
            return [try gatherElements(x, broadcastIndices(x.shape, to: shape), shape: shape, ctx)]
        case .tile:
            let x = try ctx.required(inputs, 0), reps = try ctx.ints(inputs, 1)
            guard reps.count == x.shape.count, reps.allSatisfy({ $0 >= 0 }) else { throw ctx.input(1, "repeats \(reps) for rank \(x.shape.count)") }
            let outShape = zip(x.shape, reps).map { $0.multipliedReportingOverflow(by: $1) }.map { $0.overflow ? -1 : $0.partialValue }
            let s = strides(x.shape)
            var idx = [Int](repeating: 0, count: try materializable(outShape, ctx))
            forEachIndex(outShape) { flat, i in
                var o = 0
                for d in 0..<i.count { o += (i[d] % x.shape[d]) * s[d] }
                idx[flat] = o
            }
            return [try gatherElements(x, idx, shape: outShape, ctx)]
        }
    }

    private func reshaped(_ x: Tensor, _ dims: [Int]) throws(EngineError) -> Tensor {
        do { return try x.reshaped(dims) } catch { throw ctx.shape(error.description) }
    }

    private func sliceAxis(_ x: Tensor, axis: Int, start: Int, count: Int) throws(EngineError) -> Tensor {
        var shape = x.shape
        shape[axis] = count
        let s = strides(x.shape)
        var idx = [Int](repeating: 0, count: shape.product)
        forEachIndex(shape) { flat, i in
            var o = 0
            for d in 0..<i.count { o += (d == axis ? i[d] + start : i[d]) * s[d] }
            idx[flat] = o
        }
        return try gatherElements(x, idx, shape: shape, ctx)
    }

    private func slice(_ inputs: [Tensor?]) throws(EngineError) -> Tensor {
        let x = try ctx.required(inputs, 0)
        let rank = x.shape.count
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
        var begin = [Int](repeating: 0, count: rank), step = [Int](repeating: 1, count: rank), shape = x.shape
        for (j, a0) in axes.enumerated() {
            let a = a0 < 0 ? a0 + rank : a0
            guard a >= 0, a < rank else { throw ctx.input(3, "axis \(a0) out of range") }
            let dim = x.shape[a]
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
        let s = strides(x.shape)
        var idx = [Int](repeating: 0, count: shape.product)
        forEachIndex(shape) { flat, i in
            var o = 0
            for d in 0..<rank { o += (begin[d] + i[d] * step[d]) * s[d] }
            idx[flat] = o
        }
        return try gatherElements(x, idx, shape: shape, ctx)
    }

    private func cast(_ x: Tensor, to: DType) throws(EngineError) -> Tensor {
        if x.dtype == to { return x }
        // Cast-19 and later: `saturate` (default 1) for the 8-bit floats; Cast-24: `round_mode` for E8M0.
        let saturate = (try node.int("saturate", default: 1) ?? 1) != 0
        let mode = try node.string("round_mode", default: "up") ?? "up"
        guard let rounding = E8M0.Rounding(rawValue: mode) else {
            throw ctx.attribute("round_mode", "'\(mode)' is not one of up, down, nearest")
        }
        do {
            switch to {
            case .float32: return try Tensor(shape: x.shape, values: x.floats())
            case _ where to.isFloatingPoint || to == .bool:
                return try Tensor(converting: x.doubles(), shape: x.shape, to: to, saturate: saturate, rounding: rounding)
            default:
                // Integers exactly (int64 -> int32 wraps as ORT does); floats truncated and saturated, NaN -> 0.
                return try Tensor(wrapping: x.int64s(), shape: x.shape, to: to)
            }
        } catch {
            throw ctx.shape(error.description)
        }
    }
}
