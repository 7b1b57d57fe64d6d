import Tensor

/// numpy broadcasting of shapes; nil when they are incompatible.
func broadcastShape(_ shapes: [[Int]]) -> [Int]? {
    let rank = shapes.map(\.count).max() ?? 0
    var out = [Int](repeating: 1, count: rank)
    for s in shapes {
        let off = rank - s.count
        for (i, d) in s.enumerated() {
            let o = out[off + i]
            if o == d || d == 1 { continue }
            if o == 1 { out[off + i] = d } else { return nil }
        }
    }
    return out
}

/// Element offsets of `shape` (broadcast to `out`) for every output element in row-major order.
func broadcastIndices(_ shape: [Int], to out: [Int]) -> [Int] {
    let total = out.product
    if shape == out { return Array(0..<total) }
    let rank = out.count
    let s = [Int](repeating: 1, count: rank - shape.count) + shape
    var strides = [Int](repeating: 0, count: rank)
    var acc = 1
    for i in stride(from: rank - 1, through: 0, by: -1) {
        strides[i] = s[i] == 1 ? 0 : acc
        acc *= s[i]
    }
    var idx = [Int](repeating: 0, count: total)
    var counter = [Int](repeating: 0, count: rank)
    var offset = 0
    for i in 0..<total {
        idx[i] = offset
        var d = rank - 1
        while d >= 0 {
            counter[d] += 1
            offset += strides[d]
            if counter[d] < out[d] { break }
            offset -= strides[d] * counter[d]
            counter[d] = 0
            d -= 1
        }
    }
    return idx
}

/// Element-wise binary and variadic ops with numpy broadcasting, on float32 and on integers (as Int64).
struct BinaryOp: Operator {
    enum Kind: String { case add = "Add", sub = "Sub", mul = "Mul", div = "Div", pow = "Pow", min = "Min", max = "Max", sum = "Sum", mean = "Mean", prelu = "PRelu" }
    let ctx: NodeContext
    let kind: Kind

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let present = inputs.compactMap { $0 }
        guard !present.isEmpty, present.count == inputs.count else { throw ctx.input(0, "inputs are missing") }
        if kind != .pow, let bad = present.first(where: { $0.dtype != present[0].dtype }) {
            throw ctx.shape("mixed element types \(present[0].dtype.rawValue) and \(bad.dtype.rawValue)")
        }
        guard let shape = broadcastShape(present.map(\.shape)) else {
            throw ctx.shape("shapes \(present.map { "\($0.shape)" }.joined(separator: ", ")) do not broadcast")
        }
        return [TensorType(present[0].dtype, shape)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] { try run(inputs, .serial) }
    var writesIntoArena: Bool { true }

    func run(_ inputs: [Tensor?], _ rc: RunContext) throws(EngineError) -> [Tensor] {
        let ts = inputs.compactMap { $0 }
        guard let shape = broadcastShape(ts.map(\.shape)) else { throw ctx.shape("shapes do not broadcast") }
        if kind != .pow, ts.allSatisfy({ $0.dtype == .float32 }) {
            // float32: into the arena, pointer loops, one pass per input.
            var y = try rc.output(0, .float32, shape, ctx)
            let n = shape.product
            y.withMutableFloats { yp in
                for (i, t) in ts.enumerated() { combine(yp, n, t, shape, first: i == 0) }
                if kind == .mean { let c = Float(ts.count); for i in 0..<n { yp[i] /= c } }
            }
            return [y]
        }
        if ts[0].dtype.isFloatingPoint {
            // Other float types (and Pow) in Double, rounded once into the first input's type.
            var acc = broadcastDoubles(ts[0], to: shape)
            for t in ts.dropFirst() { apply(&acc, broadcastDoubles(t, to: shape)) }
            if kind == .mean { let n = Double(ts.count); for i in acc.indices { acc[i] /= n } }
            return [try convertedTensor(shape, acc, to: ts[0].dtype, ctx)]
        }
        var acc = broadcastInts(ts[0], to: shape)
        for t in ts.dropFirst() {
            let b = broadcastInts(t, to: shape)
            for i in acc.indices {
                switch kind {
                case .add, .sum, .mean: acc[i] &+= b[i]
                case .sub: acc[i] &-= b[i]
                case .mul: acc[i] &*= b[i]
                // Wrapping, as in C: INT64_MIN / -1 and huge powers must not trap.
                case .div: acc[i] = b[i] == 0 ? 0 : acc[i].dividedReportingOverflow(by: b[i]).partialValue
                case .pow: acc[i] = Int64(saturating: pow(Double(acc[i]), Double(b[i])))
                case .min: acc[i] = Swift.min(acc[i], b[i])
                case .max: acc[i] = Swift.max(acc[i], b[i])
                case .prelu: acc[i] = acc[i] < 0 ? acc[i] &* b[i] : acc[i]
                }
            }
        }
        if kind == .mean { let n = Int64(ts.count); for i in acc.indices { acc[i] /= n } }
        return [try intTensor(shape, acc, like: ts[0].dtype, ctx)]
    }

    /// y = t broadcast (first) or y = y ∘ t broadcast, for the n elements of `shape`.
    private func combine(_ y: UnsafeMutablePointer<Float>, _ n: Int, _ t: Tensor, _ shape: [Int], first: Bool) {
        let index: [Int]? = t.shape == shape ? nil : broadcastIndices(t.shape, to: shape)
        t.withFloats { tp in
            @inline(__always) func each(_ f: (Float, Float) -> Float) {
                if let index {
                    for i in 0..<n { y[i] = f(y[i], tp[index[i]]) }
                } else {
                    for i in 0..<n { y[i] = f(y[i], tp[i]) }
                }
            }
            if first {
                each { _, b in b }
                return
            }
            switch kind {
            case .add, .sum, .mean: each { $0 + $1 }
            case .sub: each { $0 - $1 }
            case .mul: each { $0 * $1 }
            case .div: each { $0 / $1 }
            case .pow: each { Foundation.pow($0, $1) }
            case .min: each { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
            case .max: each { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
            case .prelu: each { $0 < 0 ? $0 * $1 : $0 }
            }
        }
    }

    private func apply(_ a: inout [Double], _ b: [Double]) {
        switch kind {
        case .add, .sum, .mean: for i in a.indices { a[i] += b[i] }
        case .sub: for i in a.indices { a[i] -= b[i] }
        case .mul: for i in a.indices { a[i] *= b[i] }
        case .div: for i in a.indices { a[i] /= b[i] }
        case .pow: for i in a.indices { a[i] = Foundation.pow(a[i], b[i]) }
        case .min: for i in a.indices { a[i] = a[i].isNaN || b[i].isNaN ? .nan : Swift.min(a[i], b[i]) }
        case .max: for i in a.indices { a[i] = a[i].isNaN || b[i].isNaN ? .nan : Swift.max(a[i], b[i]) }
        case .prelu: for i in a.indices where a[i] < 0 { a[i] *= b[i] }
        }
    }

    private func broadcastDoubles(_ t: Tensor, to shape: [Int]) -> [Double] {
        let v = t.doubles()
        if t.shape == shape { return v }
        return broadcastIndices(t.shape, to: shape).map { v[$0] }
    }
}

import Foundation

func broadcastInts(_ t: Tensor, to shape: [Int]) -> [Int64] {
    let v = t.int64s()
    if t.shape == shape { return v }
    return broadcastIndices(t.shape, to: shape).map { v[$0] }
}

/// An integer result in the element type of the inputs.
func intTensor(_ shape: [Int], _ v: [Int64], like dtype: DType, _ ctx: NodeContext) throws(EngineError) -> Tensor {
    do { return try Tensor(wrapping: v, shape: shape, to: dtype) } catch { throw ctx.shape(error.description) }
}

extension BinaryOp {
    /// Elementwise per image, unless a constant has an axis 0 of its own (it would differ per image).
    func keepsImagesApart(_ inputs: [TensorType?], constant: [Bool], outputRank: Int) -> Bool {
        !zip(inputs, constant).contains { t, isConstant in
            guard let t, isConstant else { return false }
            return t.shape.count >= outputRank && t.shape.first != 1
        }
    }
}
