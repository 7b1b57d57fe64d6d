import Tensor

/// Shape: the input's dimensions `start ..< end` as int64.
struct ShapeOfOp: Operator {
    let ctx: NodeContext
    let start: Int, end: Int?

    init(_ n: Node) throws(EngineError) {
        ctx = n.context
        start = try n.int("start", default: 0) ?? 0
        end = try n.int("end")
    }

    func range(_ rank: Int) -> Range<Int> {
        var s = start, e = end ?? rank
        if s < 0 { s += rank }
        if e < 0 { e += rank }
        s = min(max(s, 0), rank)
        return s..<max(s, min(max(e, 0), rank))
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        [TensorType(.int64, [range(try ctx.required(inputs, 0).shape.count).count])]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let x = try ctx.required(inputs, 0)
        let r = range(x.shape.count)
        return [try makeTensor([r.count], x.shape[r].map { Int64($0) }, ctx)]
    }
}

/// Constant: `value` (a tensor), or `value_float(s)` / `value_int(s)`; sparse and string values are refused.
struct ConstantOp: Operator {
    let value: Tensor

    init(_ n: Node) throws(EngineError) {
        let ctx = n.context
        if let t = try n.tensor("value") {
            value = t
        } else if let f = try n.floats("value_floats") {
            value = try makeFloat([f.count], f, ctx)
        } else if case .float(let f)? = n.attributes["value_float"] {
            value = try makeFloat([], [f], ctx)
        } else if n.attributes["value_ints"] != nil, let i = try n.ints("value_ints") {
            value = try makeTensor([i.count], i.map { Int64($0) }, ctx)
        } else if case .int(let i)? = n.attributes["value_int"] {
            value = try makeTensor([], [Int64(i)], ctx)
        } else {
            throw ctx.attribute("value", "Constant needs value, value_float(s) or value_int(s) (sparse and string values are not supported)")
        }
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        [TensorType(value.dtype, value.shape)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] { [value] }
}

/// ConstantOfShape: a tensor of the (constant) shape input filled with `value` (default float32 0).
struct ConstantOfShapeOp: Operator {
    let ctx: NodeContext
    let value: Tensor

    init(_ n: Node) throws(EngineError) {
        ctx = n.context
        if let t = try n.tensor("value") { value = t } else { value = try makeFloat([1], [0], n.context) }
        guard value.count == 1 else { throw ctx.attribute("value", "must hold one element, has \(value.count)") }
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        guard let dims = try constantInts(constants, 0, ctx) else { throw ctx.input(0, "the shape must be a constant") }
        guard dims.allSatisfy({ $0 >= 0 }) else { throw ctx.input(0, "negative dimension in \(dims)") }
        return [TensorType(value.dtype, dims)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let dims = try ctx.ints(inputs, 0)
        return [try gatherElements(value, [Int](repeating: 0, count: try materializable(dims, ctx)), shape: dims, ctx)]
    }
}

/// Cast to the type `to`: floats rounded as ONNX says (`saturate` for the 8-bit floats, Cast-19+;
/// `round_mode` for E8M0, Cast-24+), integers wrapped, floats to integers truncated and saturated.
struct CastOp: ImageWise {
    let ctx: NodeContext
    let target: DType
    let saturate: Bool
    let rounding: E8M0.Rounding

    init(_ n: Node) throws(EngineError) {
        ctx = n.context
        let to = try n.int("to") ?? -1
        guard let t = DType(onnxDataType: to) else { throw ctx.attribute("to", "unsupported target type \(to)") }
        target = t
        saturate = (try n.int("saturate", default: 1) ?? 1) != 0
        let mode = try n.string("round_mode", default: "up") ?? "up"
        guard let r = E8M0.Rounding(rawValue: mode) else { throw ctx.attribute("round_mode", "'\(mode)' is not one of up, down, nearest") }
        rounding = r
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        [TensorType(target, try ctx.required(inputs, 0).shape)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let x = try ctx.required(inputs, 0)
        if x.dtype == target { return [x] }
        switch target {
        case .float32: return [try makeFloat(x.shape, x.floats(), ctx)]
        case _ where target.isFloatingPoint || target == .bool:
            return [try convertedTensor(x.shape, x.doubles(), to: target, ctx, saturate: saturate, rounding: rounding)]
        default:
            // Integers exactly (int64 -> int32 wraps as ORT does); floats truncated and saturated, NaN -> 0.
            return [try intTensor(x.shape, x.int64s(), like: target, ctx)]
        }
    }
}
