import Kernels
import Tensor

/// Gemm: Y = alpha · op(A) · op(B) + beta · C, A and B 2-D, C broadcast to [M, N].
struct GemmOp: Operator {
    let ctx: NodeContext
    let alpha: Float, beta: Float, transA: Bool, transB: Bool
    var activation: Activation = .none

    init(_ n: Node, _ opset: Int) throws(EngineError) {
        ctx = n.context
        alpha = try n.float("alpha", default: 1) ?? 1
        beta = try n.float("beta", default: 1) ?? 1
        transA = (try n.int("transA", default: 0) ?? 0) != 0
        transB = (try n.int("transB", default: 0) ?? 0) != 0
        activation = n.fusedActivation ?? .none
    }

    private func dims(_ a: [Int], _ b: [Int]) throws(EngineError) -> (m: Int, k: Int, n: Int) {
        guard a.count == 2, b.count == 2 else { throw ctx.shape("Gemm needs 2-D A and B, got \(a) and \(b)") }
        let (m, k) = transA ? (a[1], a[0]) : (a[0], a[1])
        let (kb, n) = transB ? (b[1], b[0]) : (b[0], b[1])
        guard k == kb else { throw ctx.shape("inner dimensions differ: A \(a) (transA \(transA)), B \(b) (transB \(transB))") }
        return (m, k, n)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let a = try ctx.required(inputs, 0), b = try ctx.required(inputs, 1)
        let (m, _, n) = try dims(a.shape, b.shape)
        if inputs.count > 2, let c = inputs[2], broadcastShape([c.shape, [m, n]]) != [m, n] {
            throw ctx.input(2, "C \(c.shape) does not broadcast to [\(m), \(n)]")
        }
        return [TensorType(.float32, [m, n])]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let at = try ctx.required(inputs, 0), bt = try ctx.required(inputs, 1)
        let (m, k, n) = try dims(at.shape, bt.shape)
        let a = at.floats(), b = bt.floats()
        var y: [Float]
        if inputs.count > 2, let ct = inputs[2], beta != 0 {
            let c = ct.floats()
            y = broadcastIndices(ct.shape, to: [m, n]).map { beta * c[$0] }
        } else {
            y = [Float](repeating: 0, count: m * n)
        }
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { yp in
                    // One row at a time, so a sample's result does not depend on the batch it is in.
                    for row in 0..<m {
                        GEMM.sgemm(transA: transA, transB: transB, m: 1, n: n, k: k, alpha: alpha,
                                   a: ap.baseAddress! + (transA ? row : row * k), lda: transA ? m : k,
                                   b: bp.baseAddress!, ldb: transB ? k : n, beta: 1,
                                   c: yp.baseAddress! + row * n, ldc: n)
                    }
                }
            }
        }
        if activation != .none { for i in y.indices { y[i] = activation.apply(y[i]) } }
        return [try makeFloat([m, n], y, ctx)]
    }
}

/// MatMul with numpy semantics: batched, broadcast batch dimensions, 1-D operands promoted and squeezed.
struct MatMulOp: Operator {
    let ctx: NodeContext

    private func plan(_ a: [Int], _ b: [Int]) throws(EngineError) -> (batch: [Int], m: Int, k: Int, n: Int, out: [Int]) {
        guard !a.isEmpty, !b.isEmpty else { throw ctx.shape("MatMul of scalars") }
        let a2 = a.count == 1 ? [1, a[0]] : a, b2 = b.count == 1 ? [b[0], 1] : b
        let m = a2[a2.count - 2], k = a2[a2.count - 1], kb = b2[b2.count - 2], n = b2[b2.count - 1]
        guard k == kb else { throw ctx.shape("inner dimensions differ: \(a) × \(b)") }
        guard let batch = broadcastShape([Array(a2.dropLast(2)), Array(b2.dropLast(2))]) else {
            throw ctx.shape("batch dimensions of \(a) and \(b) do not broadcast")
        }
        var out = batch
        if a.count > 1 { out.append(m) }
        if b.count > 1 { out.append(n) }
        return (batch, m, k, n, out)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let a = try ctx.required(inputs, 0), b = try ctx.required(inputs, 1)
        guard a.dtype == .float32, b.dtype == .float32 else { throw ctx.input(0, "MatMul supports float32 only") }
        return [TensorType(.float32, try plan(a.shape, b.shape).out)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let at = try ctx.required(inputs, 0), bt = try ctx.required(inputs, 1)
        let p = try plan(at.shape, bt.shape)
        let a2 = at.shape.count == 1 ? [1, at.shape[0]] : at.shape, b2 = bt.shape.count == 1 ? [bt.shape[0], 1] : bt.shape
        let count = p.batch.product
        let ai = broadcastIndices(Array(a2.dropLast(2)), to: p.batch), bi = broadcastIndices(Array(b2.dropLast(2)), to: p.batch)
        let a = at.floats(), b = bt.floats()
        var y = [Float](repeating: 0, count: count * p.m * p.n)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { yp in
                    for i in 0..<count {
                        for row in 0..<p.m {  // row by row: batch invariance
                            GEMM.sgemm(m: 1, n: p.n, k: p.k, a: ap.baseAddress! + ai[i] * p.m * p.k + row * p.k, lda: p.k,
                                       b: bp.baseAddress! + bi[i] * p.k * p.n, ldb: p.n,
                                       c: yp.baseAddress! + (i * p.m + row) * p.n, ldc: p.n)
                        }
                    }
                }
            }
        }
        return [try makeFloat(p.out, y, ctx)]
    }
}

extension GemmOp {
    /// Rows of A are images; B and C must be constants.
    func keepsImagesApart(_ inputs: [TensorType?], constant: [Bool], outputRank: Int) -> Bool {
        !transA && constant.count >= 2 && constant.dropFirst().allSatisfy { $0 }
    }

    func multiplyAdds(_ inputs: [TensorType?], _ outputs: [TensorType]) -> Int {
        guard let y = outputs.first, let x = inputs.first ?? nil else { return 0 }
        return y.count * ((transA ? x.shape.first : x.shape.last) ?? 0)
    }
}

extension MatMulOp {
    /// Images are rows of A when B is a constant.
    func keepsImagesApart(_ inputs: [TensorType?], constant: [Bool], outputRank: Int) -> Bool {
        constant.count == 2 && constant[1]
    }

    func multiplyAdds(_ inputs: [TensorType?], _ outputs: [TensorType]) -> Int {
        guard let y = outputs.first, let x = inputs.first ?? nil else { return 0 }
        return y.count * (x.shape.last ?? 0)
    }
}
