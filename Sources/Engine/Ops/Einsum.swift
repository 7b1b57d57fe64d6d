import Foundation
import Kernels
import Tensor

/// Einsum (opset 12+): an equation such as "bij,bjk->bik" over float32 or float64 operands, explicit or
/// implicit output, with "..." broadcast dimensions and repeated labels (diagonals).
///
/// Evaluated as numpy's `einsum` does without `optimize`: operands are folded left to right; each pairwise
/// step sums out the labels no later term needs, permutes both operands to [batch, M, K] × [batch, K, N] and
/// runs one GEMM per batch entry (float32 on the packed `GEMM.sgemm`, so attention written as Einsum runs
/// at MatMul speed), then the result is permuted to the output's label order.
struct EinsumOp: Operator {
    let ctx: NodeContext
    let equation: String

    init(_ n: Node, _ opset: Int) throws(EngineError) {
        ctx = n.context
        guard let e = try n.string("equation"), !e.isEmpty else { throw ctx.attribute("equation", "required") }
        equation = e.filter { $0 != " " }
    }

    /// Labels are small integers: letters as their ASCII value, the dimensions "..." stands for as 256 + i
    /// (i counted from the right, so they broadcast like numpy's trailing-aligned shapes).
    private func parse(_ ranks: [Int]) throws(EngineError) -> (inputs: [[Int]], output: [Int]) {
        let sides = equation.components(separatedBy: "->")
        guard sides.count <= 2 else { throw ctx.attribute("equation", "'\(equation)' has more than one '->'") }
        let terms = sides[0].components(separatedBy: ",")
        guard terms.count == ranks.count else {
            throw ctx.attribute("equation", "'\(equation)' has \(terms.count) input terms for \(ranks.count) inputs")
        }
        var ellipsisRank = 0
        var inputs: [[Int]] = []
        for (term, rank) in zip(terms, ranks) {
            let letters = try labels(term.replacingOccurrences(of: "...", with: ""))
            let hasEllipsis = term.contains("...")
            let extra = rank - letters.count
            guard hasEllipsis ? extra >= 0 : extra == 0 else {
                throw ctx.attribute("equation", "term '\(term)' does not match an input of rank \(rank)")
            }
            ellipsisRank = max(ellipsisRank, extra)
            let parts = term.components(separatedBy: "...")
            inputs.append(hasEllipsis
                ? try labels(parts[0]) + (0..<extra).map { 256 + extra - 1 - $0 } + labels(parts[1])
                : letters)
        }
        if sides.count == 2 {
            let out = sides[1]
            let parts = out.components(separatedBy: "...")
            let output = parts.count == 2
                ? try labels(parts[0]) + (0..<ellipsisRank).map { 256 + ellipsisRank - 1 - $0 } + labels(parts[1])
                : try labels(out)
            let all = Set(inputs.joined())
            guard Set(output).count == output.count, output.allSatisfy(all.contains) else {
                throw ctx.attribute("equation", "output '\(out)' repeats a label or names one no input has")
            }
            return (inputs, output)
        }
        // Implicit output: "..." first, then the letters that appear once, in alphabetical order.
        var seen: [Int: Int] = [:]
        for l in inputs.joined() { seen[l, default: 0] += 1 }
        let broadcast = (0..<ellipsisRank).map { 256 + ellipsisRank - 1 - $0 }
        return (inputs, broadcast + seen.filter { $0.key < 256 && $0.value == 1 }.keys.sorted())
    }

    private func labels(_ s: String) throws(EngineError) -> [Int] {
        var out: [Int] = []
        for c in s.unicodeScalars {
            guard (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") else {
                throw ctx.attribute("equation", "'\(equation)': '\(c)' is not a letter")
            }
            out.append(Int(c.value))
        }
        return out
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let ts = try inputs.indices.map { i throws(EngineError) in try ctx.required(inputs, i) }
        guard let dtype = ts.first?.dtype, [.float32, .float64].contains(dtype), ts.allSatisfy({ $0.dtype == dtype }) else {
            throw ctx.input(0, "Einsum takes float32 or float64 operands of one type")
        }
        let (terms, output) = try parse(ts.map(\.shape.count))
        let sizes = try labelSizes(terms, ts.map(\.shape))
        return [TensorType(dtype, output.map { sizes[$0] ?? 1 })]
    }

    /// The size of every label; a label of size 1 broadcasts against a larger one.
    private func labelSizes(_ terms: [[Int]], _ shapes: [[Int]]) throws(EngineError) -> [Int: Int] {
        var sizes: [Int: Int] = [:]
        for (term, shape) in zip(terms, shapes) {
            for (l, d) in zip(term, shape) {
                if let s = sizes[l], s != d, s != 1, d != 1 {
                    throw ctx.shape("label '\(l < 256 ? String(UnicodeScalar(UInt8(l))) : "...")' has sizes \(s) and \(d)")
                }
                sizes[l] = max(sizes[l] ?? d, d)
            }
        }
        return sizes
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let ts = try inputs.indices.map { i throws(EngineError) in try ctx.required(inputs, i) }
        let type = try outputTypes(ts.map { TensorType($0.dtype, $0.shape) }, constants: [])[0]
        let (terms, output) = try parse(ts.map(\.shape.count))
        let sizes = try labelSizes(terms, ts.map(\.shape))
        if type.dtype == .float32 {
            let y: Operand<Float> = try evaluate(ts.map { Operand(labels: [], shape: $0.shape, values: $0.floats()) }, terms, output, sizes)
            return [try makeFloat(type.shape, y.values, ctx)]
        }
        let y: Operand<Double> = try evaluate(ts.map { Operand(labels: [], shape: $0.shape, values: $0.doubles()) }, terms, output, sizes)
        return [try makeTensor(type.shape, y.values, ctx)]
    }

    struct Operand<F: BinaryFloatingPoint> {
        var labels: [Int]
        var shape: [Int]
        var values: [F]
    }

    private func evaluate<F: BinaryFloatingPoint>(_ raw: [Operand<F>], _ terms: [[Int]], _ output: [Int],
                                                  _ sizes: [Int: Int]) throws(EngineError) -> Operand<F> {
        var ops: [Operand<F>] = []
        for (o, term) in zip(raw, terms) {
            ops.append(try diagonal(Operand(labels: term, shape: o.shape, values: o.values)))
        }
        // Labels still needed after operand i: the output's and every later operand's.
        func needed(after i: Int) -> Set<Int> { Set(output).union(terms.dropFirst(i + 1).joined()) }
        var acc = try sumOut(ops[0], keeping: needed(after: 0))
        for i in ops.indices.dropFirst() {
            let keep = needed(after: i)
            let b = try sumOut(ops[i], keeping: keep.union(acc.labels))
            acc = try contract(try sumOut(acc, keeping: keep.union(b.labels)), b, keep: keep, sizes)
        }
        return try permute(try sumOut(acc, keeping: Set(output)), to: output, sizes: sizes)
    }

    /// Takes the diagonal of every repeated label (numpy: "ii->i").
    private func diagonal<F>(_ x: Operand<F>) throws(EngineError) -> Operand<F> {
        var labels: [Int] = [], shape: [Int] = []
        for (l, d) in zip(x.labels, x.shape) where !labels.contains(l) { labels.append(l); shape.append(d) }
        if labels.count == x.labels.count { return x }
        for (l, d) in zip(x.labels, x.shape) where shape[labels.firstIndex(of: l)!] != d {
            throw ctx.shape("repeated label sizes differ in \(x.shape)")
        }
        let s = strides(x.shape)
        var values: [F] = []
        values.reserveCapacity(shape.product)
        forEachIndex(shape) { _, i in
            var o = 0
            for (axis, l) in x.labels.enumerated() { o += i[labels.firstIndex(of: l)!] * s[axis] }
            values.append(x.values[o])
        }
        return Operand(labels: labels, shape: shape, values: values)
    }

    /// Sums over the labels not in `keeping`.
    private func sumOut<F>(_ x: Operand<F>, keeping: Set<Int>) throws(EngineError) -> Operand<F> {
        let keptAxes = x.labels.indices.filter { keeping.contains(x.labels[$0]) }
        if keptAxes.count == x.labels.count { return x }
        let shape = keptAxes.map { x.shape[$0] }
        let s = strides(shape)
        var values = [F](repeating: 0, count: try materializable(shape, ctx))
        forEachIndex(x.shape) { flat, i in
            var o = 0
            for (j, axis) in keptAxes.enumerated() { o += i[axis] * s[j] }
            values[o] += x.values[flat]
        }
        return Operand(labels: keptAxes.map { x.labels[$0] }, shape: shape, values: values)
    }

    /// The operand with its axes in the order `labels`, each label at its full size: a label the operand lacks
    /// or has at size 1 is broadcast (stride 0).
    private func permute<F>(_ x: Operand<F>, to labels: [Int], sizes: [Int: Int]) throws(EngineError) -> Operand<F> {
        let shape = labels.map { sizes[$0] ?? 1 }
        if x.labels == labels && x.shape == shape { return x }
        let s = strides(x.shape)
        let from = labels.map { l -> Int in
            guard let a = x.labels.firstIndex(of: l), x.shape[a] != 1 else { return 0 }
            return s[a]
        }
        var values: [F] = []
        values.reserveCapacity(try materializable(shape, ctx))
        forEachIndex(shape) { _, i in
            var o = 0
            for a in i.indices { o += i[a] * from[a] }
            values.append(x.values[o])
        }
        return Operand(labels: labels, shape: shape, values: values)
    }

    /// a ⊗ b summed over their shared labels not in `keep`: [batch, M, K] × [batch, K, N] → [batch, M, N].
    private func contract<F>(_ a: Operand<F>, _ b: Operand<F>, keep: Set<Int>, _ sizes: [Int: Int]) throws(EngineError) -> Operand<F> {
        let shared = a.labels.filter(b.labels.contains)
        let batch = shared.filter(keep.contains), k = shared.filter { !keep.contains($0) }
        let m = a.labels.filter { !b.labels.contains($0) }, n = b.labels.filter { !a.labels.contains($0) }
        let ap = try permute(a, to: batch + m + k, sizes: sizes), bp = try permute(b, to: batch + k + n, sizes: sizes)
        func size(_ ls: [Int]) -> Int { ls.map { sizes[$0] ?? 1 }.product }
        let nb = size(batch), nm = size(m), nk = size(k), nn = size(n)
        let shape = (batch + m + n).map { sizes[$0] ?? 1 }
        var c = [F](repeating: 0, count: try materializable(shape, ctx))
        if F.self == Float.self {
            let av = ap.values as! [Float], bv = bp.values as! [Float]
            var cv = [Float](repeating: 0, count: c.count)
            av.withUnsafeBufferPointer { pa in
                bv.withUnsafeBufferPointer { pb in
                    cv.withUnsafeMutableBufferPointer { pc in
                        for i in 0..<nb where nm > 0 && nn > 0 {
                            GEMM.sgemm(m: nm, n: nn, k: nk, a: pa.baseAddress! + i * nm * nk, lda: max(nk, 1),
                                       b: pb.baseAddress! + i * nk * nn, ldb: nn, c: pc.baseAddress! + i * nm * nn, ldc: nn)
                        }
                    }
                }
            }
            c = cv as! [F]
        } else {
            for i in 0..<nb {
                for r in 0..<nm {
                    for p in 0..<nk {
                        let x = ap.values[(i * nm + r) * nk + p]
                        for q in 0..<nn { c[(i * nm + r) * nn + q] += x * bp.values[(i * nk + p) * nn + q] }
                    }
                }
            }
        }
        return Operand(labels: batch + m + n, shape: shape, values: c)
    }
}
