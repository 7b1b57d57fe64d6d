import Foundation
import Tensor

/// Element-wise float32 activations and math functions, with their ONNX default attributes.
struct UnaryOp: ImageWise {
    let ctx: NodeContext
    let function: @Sendable (Float) -> Float

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let t = try ctx.required(inputs, 0)
        guard t.dtype == .float32 || (ctx.opType == "Neg" || ctx.opType == "Abs") else {
            throw ctx.input(0, "expected float32, got \(t.dtype.rawValue)")
        }
        return [t]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] { try run(inputs, .serial) }
    var writesIntoArena: Bool { true }

    func run(_ inputs: [Tensor?], _ rc: RunContext) throws(EngineError) -> [Tensor] {
        let t = try ctx.required(inputs, 0)
        if t.dtype != .float32 {  // Neg / Abs on the other types
            let negate = ctx.opType == "Neg"
            if t.dtype.isFloatingPoint {
                return [try convertedTensor(t.shape, t.doubles().map { negate ? -$0 : Swift.abs($0) }, to: t.dtype, ctx)]
            }
            // Integers wrap as in C and numpy: -INT64_MIN is INT64_MIN, not a trap.
            let v = t.int64s().map { negate || $0 < 0 ? 0 &- $0 : $0 }
            return [try intTensor(t.shape, v, like: t.dtype, ctx)]
        }
        var y = try rc.output(0, .float32, t.shape, ctx)
        let f = function, n = t.count
        t.withFloats { x in y.withMutableFloats { yp in for i in 0..<n { yp[i] = f(x[i]) } } }
        return [y]
    }

    static func builder(_ make: @escaping @Sendable (Node, Int) throws -> @Sendable (Float) -> Float) -> OpBuilder {
        { node, opset in UnaryOp(ctx: node.context, function: try make(node, opset)) }
    }

    static let builders: [String: OpBuilder] = [
        "Relu": builder { _, _ in { max($0, 0) } },
        "LeakyRelu": builder { n, _ in
            let a = try n.float("alpha", default: 0.01) ?? 0.01
            return { $0 >= 0 ? $0 : a * $0 }
        },
        "Elu": builder { n, _ in
            let a = try n.float("alpha", default: 1) ?? 1
            return { $0 >= 0 ? $0 : a * (exp($0) - 1) }
        },
        "Selu": builder { n, _ in
            let a = try n.float("alpha", default: 1.67326319217681884765625) ?? 1.6732632
            let g = try n.float("gamma", default: 1.05070102214813232421875) ?? 1.050701
            return { $0 > 0 ? g * $0 : g * (a * exp($0) - a) }
        },
        "Sigmoid": builder { _, _ in { 1 / (1 + exp(-$0)) } },
        "HardSigmoid": builder { n, _ in
            let a = try n.float("alpha", default: 0.2) ?? 0.2, b = try n.float("beta", default: 0.5) ?? 0.5
            return { max(0, min(1, a * $0 + b)) }
        },
        "HardSwish": builder { _, _ in { $0 * max(0, min(1, $0 / 6 + 0.5)) } },
        "Tanh": builder { _, _ in { tanh($0) } },
        "Softplus": builder { _, _ in { $0 > 20 ? $0 : log1p(exp($0)) } },
        "Erf": builder { _, _ in { erf($0) } },
        "Gelu": builder { n, _ in
            let approximate = try n.string("approximate", default: "none") ?? "none"
            guard approximate == "none" || approximate == "tanh" else {
                throw n.context.attribute("approximate", "expected 'none' or 'tanh', got '\(approximate)'")
            }
            if approximate == "tanh" {
                return { x in
                    let inner = Float((2 / Double.pi).squareRoot()) * (x + 0.044715 * x * x * x)
                    return 0.5 * x * (1 + tanh(inner))
                }
            }
            return { x in Float(0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot()))) }
        },
        "Sqrt": builder { _, _ in { $0.squareRoot() } },
        "Exp": builder { _, _ in { exp($0) } },
        "Log": builder { _, _ in { log($0) } },
        "Neg": builder { _, _ in { -$0 } },
        "Abs": builder { _, _ in { abs($0) } },
        "Reciprocal": builder { _, _ in { 1 / $0 } },
    ]
}

/// Clip: min/max as attributes before opset 11, as optional inputs from 11.
struct ClipOp: ImageWise {
    let ctx: NodeContext
    let attrMin: Float, attrMax: Float

    init(_ n: Node, _ opset: Int) throws(EngineError) {
        ctx = n.context
        attrMin = try n.float("min", default: -.greatestFiniteMagnitude) ?? -.greatestFiniteMagnitude
        attrMax = try n.float("max", default: .greatestFiniteMagnitude) ?? .greatestFiniteMagnitude
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        [try ctx.required(inputs, 0)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let xt = try ctx.required(inputs, 0)
        if xt.dtype != .float32 {
            // Any other numeric type (Clip-12): in Double, bounds absent = no bound.
            let lo = inputs.count > 1 ? inputs[1]?.doubles().first ?? -.infinity : -.infinity
            let hi = inputs.count > 2 ? inputs[2]?.doubles().first ?? .infinity : .infinity
            return [try convertedTensor(xt.shape, xt.doubles().map { min(max($0, lo), hi) }, to: xt.dtype, ctx)]
        }
        let lo = inputs.count > 1 ? inputs[1]?.floats().first ?? attrMin : attrMin
        let hi = inputs.count > 2 ? inputs[2]?.floats().first ?? attrMax : attrMax
        return [try makeFloat(xt.shape, xt.floats().map { min(max($0, lo), hi) }, ctx)]
    }
}

/// Identity, and Dropout at inference (output = input; optional mask all true).
struct IdentityOp: ImageWise {
    let ctx: NodeContext
    let outputs: Int
    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let t = try ctx.required(inputs, 0)
        return outputs > 1 ? [t, TensorType(.bool, t.shape)] : [t]
    }
    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let t = try ctx.required(inputs, 0)
        // Dropout-12's training_mode input: true with a ratio above 0 (default 0.5) is a random op (training),
        // which inference must not fake; ratio 0 is the identity either way.
        if inputs.count > 2, let training = inputs[2], training.doubles().contains(where: { $0 != 0 }),
           (inputs[1]?.doubles().first ?? 0.5) != 0 {
            throw ctx.input(2, "training_mode is true: random dropout (training) is not supported")
        }
        if outputs > 1 { return [t, try makeTensor(t.shape, [Bool](repeating: true, count: t.count), ctx)] }
        return [t]
    }
}
