import Tensor

/// Reshape, Flatten, Squeeze and Unsqueeze: the same elements under another shape (the output shares the
/// input's storage). Each computes its output shape in one function, used for planning and for running.

/// The tensor's storage under `dims` (same element count).
func reinterpreted(_ x: Tensor, _ dims: [Int], _ ctx: NodeContext) throws(EngineError) -> Tensor {
    do { return try x.reshaped(dims) } catch { throw ctx.shape(error.description) }
}

/// Axes from the attribute (old opsets) or from input `i` (newer ones); nil when neither is given.
func axesAttributeOrInput(_ node: Node, _ inputs: [Tensor?], input i: Int) throws(EngineError) -> [Int]? {
    if let a = try node.ints("axes") { return a }
    if i < inputs.count, let t = inputs[i] { return t.ints() }
    return nil
}

/// An op whose output shape follows from its input's shape and the values of constant input 1 (Reshape's
/// shape, Expand's shape, Tile's repeats).
protocol ShapedByInput: Operator {
    var ctx: NodeContext { get }
    func shape(_ x: [Int], _ values: [Int]) throws(EngineError) -> [Int]
}

extension ShapedByInput {
    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        _ = try ctx.required(inputs, 1)
        try ctx.requireConstant([1], inputs, constants)
        return [TensorType(x.dtype, try shape(x.shape, try ctx.ints(constants, 1)))]
    }

    /// The input and the output shape at run time.
    func resolved(_ inputs: [Tensor?]) throws(EngineError) -> (Tensor, [Int]) {
        let x = try ctx.required(inputs, 0)
        return (x, try shape(x.shape, try ctx.ints(inputs, 1)))
    }
}

/// Squeeze and Unsqueeze: the output shape follows from the input's and the axes (attribute before opset 13,
/// constant input 1 since); the elements are the input's.
protocol ShapedByAxes: ImageWise {
    var ctx: NodeContext { get }
    var node: Node { get }
    func shape(_ x: [Int], _ axes: [Int]?) throws(EngineError) -> [Int]
}

extension ShapedByAxes {
    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        try ctx.requireConstant([1], inputs, constants)
        return [TensorType(x.dtype, try shape(x.shape, try axesAttributeOrInput(node, constants, input: 1)))]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let x = try ctx.required(inputs, 0)
        return [try reinterpreted(x, try shape(x.shape, try axesAttributeOrInput(node, inputs, input: 1)), ctx)]
    }
}

struct ReshapeOp: ShapedByInput, ImageWise {
    let ctx: NodeContext
    let allowZero: Bool

    init(_ n: Node) throws(EngineError) {
        ctx = n.context
        allowZero = (try n.int("allowzero", default: 0) ?? 0) != 0
    }

    func shape(_ x: [Int], _ target: [Int]) throws(EngineError) -> [Int] {
        var dims = target
        for i in dims.indices where dims[i] == 0 && !allowZero {
            guard i < x.count else { throw ctx.input(1, "0 at position \(i) beyond input rank \(x.count)") }
            dims[i] = x[i]
        }
        let count = x.product
        if let at = dims.firstIndex(of: -1) {
            let known = dims.enumerated().filter { $0.offset != at }.map(\.element).product
            guard known > 0, count % known == 0 else { throw ctx.shape("cannot reshape \(x) to \(target)") }
            dims[at] = count / known
        }
        guard dims.allSatisfy({ $0 >= 0 }), dims.product == count else { throw ctx.shape("cannot reshape \(x) to \(target)") }
        return dims
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let (x, shape) = try resolved(inputs)
        return [try reinterpreted(x, shape, ctx)]
    }
}

struct FlattenOp: ImageWise {
    let ctx: NodeContext
    let axis: Int

    init(_ n: Node) throws(EngineError) {
        ctx = n.context
        axis = try n.int("axis", default: 1) ?? 1
    }

    func shape(_ x: [Int]) throws(EngineError) -> [Int] {
        let a = axis < 0 ? axis + x.count : axis
        guard a >= 0, a <= x.count else { throw ctx.attribute("axis", "out of range for rank \(x.count)") }
        return [x.prefix(a).product, x.dropFirst(a).product]
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        return [TensorType(x.dtype, try shape(x.shape))]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let x = try ctx.required(inputs, 0)
        return [try reinterpreted(x, try shape(x.shape), ctx)]
    }
}

struct SqueezeOp: ShapedByAxes {
    let ctx: NodeContext
    let node: Node

    func shape(_ x: [Int], _ given: [Int]?) throws(EngineError) -> [Int] {
        guard let given else { return x.filter { $0 != 1 } }
        let a = given.map { $0 < 0 ? $0 + x.count : $0 }
        if let bad = a.first(where: { $0 < 0 || $0 >= x.count || x[$0] != 1 }) {
            throw ctx.attribute("axes", "cannot squeeze axis \(bad) of shape \(x)")
        }
        return x.enumerated().filter { !a.contains($0.offset) }.map(\.element)
    }
}

struct UnsqueezeOp: ShapedByAxes {
    let ctx: NodeContext
    let node: Node

    func shape(_ x: [Int], _ given: [Int]?) throws(EngineError) -> [Int] {
        guard let given else { throw ctx.attribute("axes", "required") }
        let rank = x.count + given.count
        let a = Set(given.map { $0 < 0 ? $0 + rank : $0 })
        guard a.count == given.count, a.allSatisfy({ $0 >= 0 && $0 < rank }) else {
            throw ctx.attribute("axes", "\(given) invalid for output rank \(rank)")
        }
        var dims: [Int] = [], it = x.makeIterator()
        for i in 0..<rank { dims.append(a.contains(i) ? 1 : (it.next() ?? 1)) }
        return dims
    }
}
