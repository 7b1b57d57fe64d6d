import Tensor

/// Builds a tensor of `shape` whose element i is element `indices[i]` of `t` (any dtype).
func gatherElements(_ t: Tensor, _ indices: [Int], shape: [Int], _ ctx: NodeContext) throws(EngineError) -> Tensor {
    _ = try materializable(shape, ctx)
    // The copy below is unchecked: one pass here keeps a shape rule's mistake an error, not a heap overflow.
    let n = t.count
    guard indices.allSatisfy({ $0 >= 0 && $0 < n }) else { throw ctx.shape("an element index falls outside the input \(t.shape)") }
    var out: Tensor
    do { out = try Tensor(zeros: t.dtype, shape: shape) } catch { throw ctx.shape(error.description) }
    let w = t.dtype.byteSize
    t.withUnsafeBytes { src in
        out.withUnsafeMutableBytes { dst in
            for (i, j) in indices.enumerated() {
                for b in 0..<w { dst[i * w + b] = src[j * w + b] }
            }
        }
    }
    return out
}

/// Row-major strides of `shape`.
func strides(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        s[i] = acc
        acc *= shape[i]
    }
    return s
}

/// Calls `body(flatIndex, multiIndex)` for every element of `shape` in row-major order.
func forEachIndex(_ shape: [Int], _ body: (Int, [Int]) -> Void) {
    let total = shape.product
    guard total > 0 else { return }
    var idx = [Int](repeating: 0, count: shape.count)
    for flat in 0..<total {
        body(flat, idx)
        var d = shape.count - 1
        while d >= 0 {
            idx[d] += 1
            if idx[d] < shape[d] { break }
            idx[d] = 0
            d -= 1
        }
    }
}

/// The integer values of a constant input, or an error saying it must be constant.
func constantInts(_ constants: [Tensor?], _ i: Int, _ ctx: NodeContext) throws(EngineError) -> [Int]? {
    guard i < constants.count else { return nil }
    guard let t = constants[i] else { return nil }
    return t.ints()
}

/// Elements of `shape`, after checking that a shape op may build index tables and a tensor of it: every
/// dimension non-negative and at most `maxShapeOpElements` elements. Shape ops also run at plan time on
/// probe values, so this check comes before any allocation a hostile Expand, Tile or ConstantOfShape asks for.
func materializable(_ shape: [Int], _ ctx: NodeContext) throws(EngineError) -> Int {
    guard shape.allSatisfy({ $0 >= 0 }) else { throw ctx.shape("negative dimension in \(shape)") }
    let n = shape.product
    guard n <= maxShapeOpElements else {
        throw ctx.shape("\(shape) has \(n == .max ? "more than Int.max" : String(n)) elements, over the \(maxShapeOpElements) a shape op may build")
    }
    return n
}

/// 2^32 elements: far beyond any activation a model on this class of machine produces (a 512³ volume with
/// 16 channels is 2^31), yet small enough that the index tables never overflow. The plan's memory budget
/// (`CompileOptions.memoryBudget`) is the tighter, configurable limit.
let maxShapeOpElements = 1 << 32
