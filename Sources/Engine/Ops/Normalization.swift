import Kernels
import Foundation
import Tensor

/// BatchNormalization at inference: y = scale · (x − mean) / sqrt(var + epsilon) + B over axis 1.
/// (Folded into a preceding Conv by the passes when its weights are constant.)
struct BatchNormOp: ImageWise {
    let ctx: NodeContext
    let epsilon: Float
    /// An activation fused after it (DenseNet's pre-activation BN-ReLU on Concat outputs).
    let activation: Activation

    init(_ n: Node, _ opset: Int) throws(EngineError) {
        ctx = n.context
        epsilon = try n.float("epsilon", default: 1e-5) ?? 1e-5
        activation = n.fusedActivation ?? .none
        if try n.int("training_mode", default: 0) == 1 { throw ctx.attribute("training_mode", "training mode is not supported") }
    }

    /// Per-channel (multiplier, addend).
    static func affine(scale: [Float], bias: [Float], mean: [Float], variance: [Float], epsilon: Float) -> ([Float], [Float]) {
        var mul = [Float](repeating: 0, count: scale.count), add = mul
        for c in scale.indices {
            mul[c] = scale[c] / (variance[c] + epsilon).squareRoot()
            add[c] = bias[c] - mean[c] * mul[c]
        }
        return (mul, add)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        guard x.shape.count >= 2 else { throw ctx.input(0, "expected [N, C, ...], got \(x.shape)") }
        for i in 1...4 {
            let t = try ctx.required(inputs, i)
            guard t.shape == [x.shape[1]] else { throw ctx.input(i, "expected shape [\(x.shape[1])], got \(t.shape)") }
        }
        return [x]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] { try run(inputs, .serial) }
    var writesIntoArena: Bool { true }

    func run(_ inputs: [Tensor?], _ rc: RunContext) throws(EngineError) -> [Tensor] {
        let xt = try ctx.required(inputs, 0)
        let (mul, add) = BatchNormOp.affine(scale: try ctx.floats(inputs, 1), bias: try ctx.floats(inputs, 2),
                                            mean: try ctx.floats(inputs, 3), variance: try ctx.floats(inputs, 4), epsilon: epsilon)
        guard xt.dtype == .float32 else { throw ctx.input(0, "expected float32, got \(xt.dtype.rawValue)") }
        var yt = try rc.output(0, .float32, xt.shape, ctx)
        let c = xt.shape[1], inner = xt.shape.dropFirst(2).product, act = activation
        xt.withFloats { x in
            yt.withMutableFloats { y in
                ChannelAffine.run(x: x, y: y, planes: xt.shape[0] * c, channels: c, size: inner, mul: mul, add: add, act,
                                  threads: rc.workers)
            }
        }
        return [yt]
    }
}

/// InstanceNormalization: per (n, c) plane, y = scale · (x − mean) / sqrt(var + epsilon) + B.
struct InstanceNormOp: ImageWise {
    let ctx: NodeContext
    let epsilon: Float
    init(_ n: Node, _ opset: Int) throws(EngineError) {
        ctx = n.context
        epsilon = try n.float("epsilon", default: 1e-5) ?? 1e-5
    }
    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        guard x.shape.count >= 3 else { throw ctx.input(0, "expected [N, C, ...], got \(x.shape)") }
        return [x]
    }
    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let xt = try ctx.required(inputs, 0)
        let scale = try ctx.floats(inputs, 1), bias = try ctx.floats(inputs, 2)
        var x = xt.floats()
        let c = xt.shape[1], inner = xt.shape.dropFirst(2).product
        for p in 0..<(xt.shape[0] * c) {
            let r = (p * inner)..<((p + 1) * inner)
            let (mean, variance) = meanAndVariance(x[r])
            let k = scale[p % c] / (variance + epsilon).squareRoot()
            for i in r { x[i] = (x[i] - mean) * k + bias[p % c] }
        }
        return [try makeFloat(xt.shape, x, ctx)]
    }
}

/// LayerNormalization over axes [axis, rank): y = (x − mean) / sqrt(var + epsilon) · scale + B.
struct LayerNormOp: Operator {
    let ctx: NodeContext
    let axis: Int, epsilon: Float
    init(_ n: Node, _ opset: Int) throws(EngineError) {
        ctx = n.context
        axis = try n.int("axis", default: -1) ?? -1
        epsilon = try n.float("epsilon", default: 1e-5) ?? 1e-5
    }
    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        let a = try normalizedAxis(axis, rank: x.shape.count, ctx)
        let stat = TensorType(.float32, Array(x.shape.prefix(a)) + [Int](repeating: 1, count: x.shape.count - a))
        return [x, stat, stat]
    }
    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let xt = try ctx.required(inputs, 0)
        let a = try normalizedAxis(axis, rank: xt.shape.count, ctx)
        let inner = xt.shape.dropFirst(a).product, outer = xt.count / max(inner, 1)
        let scaleT = try ctx.required(inputs, 1)
        let scale = broadcastIndices(scaleT.shape, to: Array(xt.shape.dropFirst(a))).map { scaleT.floats()[$0] }
        let bias: [Float]? = inputs.count > 2 ? inputs[2].map { b in broadcastIndices(b.shape, to: Array(xt.shape.dropFirst(a))).map { b.floats()[$0] } } : nil
        var x = xt.floats()
        var means = [Float](repeating: 0, count: outer), inv = means
        for o in 0..<outer {
            let r = (o * inner)..<((o + 1) * inner)
            let (mean, variance) = meanAndVariance(x[r])
            let k = 1 / (variance + epsilon).squareRoot()
            means[o] = mean
            inv[o] = k
            for (j, i) in r.enumerated() { x[i] = (x[i] - mean) * k * scale[j] + (bias?[j] ?? 0) }
        }
        let statShape = Array(xt.shape.prefix(a)) + [Int](repeating: 1, count: xt.shape.count - a)
        return [try makeFloat(xt.shape, x, ctx), try makeFloat(statShape, means, ctx), try makeFloat(statShape, inv, ctx)]
    }
}

/// LRN (local response normalization across channels, AlexNet/GoogLeNet/ZFNet):
/// y[n,c] = x[n,c] / (bias + alpha/size · Σ x[n,c']²)^beta over c' in [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] ∩ [0, C).
struct LRNOp: ImageWise {
    let ctx: NodeContext
    let alpha: Float, beta: Float, bias: Float, size: Int

    init(_ n: Node, _ opset: Int) throws(EngineError) {
        ctx = n.context
        alpha = try n.float("alpha", default: 1e-4) ?? 1e-4
        beta = try n.float("beta", default: 0.75) ?? 0.75
        bias = try n.float("bias", default: 1) ?? 1
        guard let s = try n.int("size") else { throw ctx.attribute("size", "is required") }
        guard s >= 1 else { throw ctx.attribute("size", "must be >= 1, got \(s)") }
        size = s
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        guard x.dtype == .float32 else { throw ctx.input(0, "expected float32, got \(x.dtype.rawValue)") }
        guard x.shape.count >= 3 else { throw ctx.input(0, "expected [N, C, D1, ...], got \(x.shape)") }
        return [x]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] { try run(inputs, .serial) }
    var writesIntoArena: Bool { true }

    func run(_ inputs: [Tensor?], _ rc: RunContext) throws(EngineError) -> [Tensor] {
        let xt = try ctx.required(inputs, 0)
        var yt = try rc.output(0, .float32, xt.shape, ctx)
        let c = xt.shape[1], inner = xt.shape.dropFirst(2).product, images = xt.shape[0]
        let lo = (size - 1) / 2, hi = size - 1 - lo, scale = alpha / Float(size)
        xt.withFloats { x in
            yt.withMutableFloats { y in
                // Per image: y holds the running Σ x² over the window, plane by plane, then the quotient.
                Parallel.run(tasks: images * c, threads: rc.workers) { t, _ in
                    let img = t / c, ch = t % c
                    let base = x + img * c * inner, out = y + t * inner
                    out.update(repeating: 0, count: inner)
                    for k in max(0, ch - lo)...min(c - 1, ch + hi) {
                        let p = base + k * inner
                        for i in 0..<inner { out[i] += p[i] * p[i] }
                    }
                    let xc = base + ch * inner
                    for i in 0..<inner { out[i] = xc[i] / Foundation.pow(bias + scale * out[i], beta) }
                }
            }
        }
        return [yt]
    }
}

/// Mean and (biased) variance of `x`, accumulated in Double: a float sum over a volume's plane (2^21 voxels of
/// a 128³ InstanceNormalization) loses about 1e-4 of the mean.
func meanAndVariance(_ x: ArraySlice<Float>) -> (mean: Float, variance: Float) {
    let n = Double(max(x.count, 1))
    var sum = 0.0
    for v in x { sum += Double(v) }
    let mean = sum / n
    var squares = 0.0
    for v in x { squares += (Double(v) - mean) * (Double(v) - mean) }
    return (Float(mean), Float(squares / n))
}
