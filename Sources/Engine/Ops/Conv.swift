import Kernels
import Tensor

/// Padding and output size of a convolution or pooling window along each spatial axis.
struct Window {
    /// Largest kernel size, stride, dilation or pad accepted (2^24).
    static let maxExtent = 1 << 24
    var kernel: [Int], strides: [Int], dilations: [Int], pads: [Int]  // pads: begins..., ends...
    var autoPad: String
    var ceilMode = false

    init(_ n: Node, kernel: [Int]) throws(EngineError) {
        let r = kernel.count
        self.kernel = kernel
        strides = try n.ints("strides") ?? [Int](repeating: 1, count: r)
        dilations = try n.ints("dilations") ?? [Int](repeating: 1, count: r)
        pads = try n.ints("pads") ?? [Int](repeating: 0, count: 2 * r)
        autoPad = try n.string("auto_pad", default: "NOTSET") ?? "NOTSET"
        ceilMode = (try n.int("ceil_mode", default: 0) ?? 0) != 0
        let c = n.context
        guard strides.count == r else { throw c.attribute("strides", "expected \(r) values, got \(strides.count)") }
        guard dilations.count == r else { throw c.attribute("dilations", "expected \(r) values, got \(dilations.count)") }
        guard pads.count == 2 * r else { throw c.attribute("pads", "expected \(2 * r) values, got \(pads.count)") }
        // The upper bounds only keep the window arithmetic from overflowing; no real model comes near them.
        let limit = Window.maxExtent
        guard kernel.allSatisfy({ $0 > 0 && $0 <= limit }) else { throw c.attribute("kernel_shape", "must be in 1...\(limit), got \(kernel)") }
        guard strides.allSatisfy({ $0 > 0 && $0 <= limit }) else { throw c.attribute("strides", "must be in 1...\(limit), got \(strides)") }
        guard dilations.allSatisfy({ $0 > 0 && $0 <= limit }) else { throw c.attribute("dilations", "must be in 1...\(limit), got \(dilations)") }
        guard pads.allSatisfy({ $0 >= 0 && $0 <= limit }) else { throw c.attribute("pads", "must be in 0...\(limit), got \(pads)") }
        guard ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].contains(autoPad) else {
            throw c.attribute("auto_pad", "unknown value '\(autoPad)'")
        }
    }

    /// Output spatial sizes for input sizes `input`; fills in pads for auto_pad.
    mutating func resolve(_ input: [Int], _ c: NodeContext) throws(EngineError) -> [Int] {
        let r = kernel.count
        var out = [Int](repeating: 0, count: r)
        for i in 0..<r {
            let k = (kernel[i] - 1) * dilations[i] + 1
            switch autoPad {
            case "SAME_UPPER", "SAME_LOWER":
                out[i] = (input[i] + strides[i] - 1) / strides[i]
                let total = max(0, (out[i] - 1) * strides[i] + k - input[i])
                let small = total / 2, large = total - small
                pads[i] = autoPad == "SAME_UPPER" ? small : large
                pads[i + r] = autoPad == "SAME_UPPER" ? large : small
            case "VALID":
                pads[i] = 0
                pads[i + r] = 0
                out[i] = (input[i] - k) / strides[i] + 1
            default:
                let span = input[i] + pads[i] + pads[i + r] - k
                out[i] = (ceilMode ? (span + strides[i] - 1) / strides[i] : span / strides[i]) + 1
                // ceil_mode: the last window must start inside the input or its left padding.
                if ceilMode && (out[i] - 1) * strides[i] >= input[i] + pads[i] { out[i] -= 1 }
            }
            guard out[i] > 0, span(i, input) >= 0 else {
                throw c.shape("window \(kernel) with pads \(pads) does not fit input \(input)")
            }
        }
        return out
    }

    private func span(_ i: Int, _ input: [Int]) -> Int {
        input[i] + pads[i] + pads[i + kernel.count] - ((kernel[i] - 1) * dilations[i] + 1)
    }

    func geometry(_ input: [Int], _ out: [Int]) -> ConvGeometry {
        // 1-D windows run as 2-D with a height of 1.
        if kernel.count == 1 {
            return ConvGeometry(inH: 1, inW: input[0], kH: 1, kW: kernel[0], strideH: 1, strideW: strides[0], dilH: 1,
                                dilW: dilations[0], padTop: 0, padLeft: pads[0], outH: 1, outW: out[0])
        }
        return ConvGeometry(inH: input[0], inW: input[1], kH: kernel[0], kW: kernel[1], strideH: strides[0],
                            strideW: strides[1], dilH: dilations[0], dilW: dilations[1], padTop: pads[0],
                            padLeft: pads[1], outH: out[0], outW: out[1])
    }
}


import Foundation
import Synchronization

/// Conv (1-D and 2-D, groups incl. depthwise, dilations, strides, pads, auto_pad) through `ConvPlan`
/// (algorithm and tiling chosen there), with bias, an optional residual and activation fused per tile.
/// Inputs: X [N, C, H, W], W [M, C/group, KH, KW], optional B [M]; fused: optional residual [N, M, OH, OW].
struct ConvOp: ImageWise {
    let ctx: NodeContext
    let group: Int
    let kernelShape: [Int]?
    let node: Node
    var activation: Activation = .none
    /// Index of the fused residual input (after X, W, B), if any.
    var residualInput: Int?
    /// The algorithm `CompileOptions.convAlgorithm` forces, or nil (`OpRegistry.makeOperator` sets it).
    var forced: ConvAlgorithm?
    /// Weights prepared for the plan's algorithm (Winograd transform or packed panels), made on the first run
    /// and kept while the weights are the same tensor and the plan the same.
    let prepared = PreparedWeights()

    init(_ n: Node, _ opset: Int) throws(EngineError) {
        ctx = n.context
        node = n
        group = try n.int("group", default: 1) ?? 1
        kernelShape = try n.ints("kernel_shape")
        guard group >= 1 else { throw ctx.attribute("group", "must be >= 1, got \(group)") }
        activation = n.fusedActivation ?? .none
        residualInput = n.fusedResidual ? 3 : nil
    }

    func window(_ x: TensorType, _ w: TensorType) throws(EngineError) -> (Window, [Int]) {
        let spatial = Array(w.shape.dropFirst(2))
        if let k = kernelShape, k != spatial {
            throw ctx.attribute("kernel_shape", "\(k) does not match the weights' \(spatial)")
        }
        var win = try Window(node, kernel: spatial)
        let out = try win.resolve(Array(x.shape.dropFirst(2)), ctx)
        return (win, out)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0), w = try ctx.required(inputs, 1)
        guard x.dtype == .float32, w.dtype == .float32 else { throw ctx.input(0, "Conv supports float32 only") }
        guard (3...5).contains(x.shape.count) else {
            throw ctx.input(0, "expected a 1-D, 2-D or 3-D convolution input ([N, C, ...] of rank 3 to 5), got shape \(x.shape)")
        }
        guard w.shape.count == x.shape.count else { throw ctx.input(1, "weights \(w.shape) do not match input \(x.shape)") }
        guard x.shape[1] == w.shape[1] * group, w.shape[0] % group == 0 else {
            throw ctx.shape("input channels \(x.shape[1]) and weights \(w.shape) do not agree with group \(group)")
        }
        if inputs.count > 2, let b = inputs[2], b.shape != [w.shape[0]] {
            throw ctx.input(2, "bias shape \(b.shape), expected [\(w.shape[0])]")
        }
        let (_, out) = try window(x, w)
        let y = TensorType(.float32, [x.shape[0], w.shape[0]] + out)
        if let r = residualInput, r < inputs.count, let t = inputs[r], t.shape != y.shape {
            throw ctx.input(r, "fused residual \(t.shape) does not match the output \(y.shape)")
        }
        return [y]
    }

    /// The conv plan for these input and weight shapes (algorithm chosen by `ConvPlan`, or forced).
    func convPlan(_ x: [Int], _ w: [Int], threads: Int) throws(EngineError) -> ConvPlan {
        let (win, outSpatial) = try window(TensorType(.float32, x), TensorType(.float32, w))
        let shape = ConvShape(channels: x[1], outChannels: w[0], groups: group,
                              geometry: win.geometry(Array(x.dropFirst(2)), outSpatial))
        // A forced algorithm applies where it can compute the convolution; elsewhere ConvPlan chooses.
        return ConvPlan(shape, forcing: forced, threads: threads) ?? ConvPlan(shape, threads: threads)!
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] { try run(inputs, .serial) }
    var writesIntoArena: Bool { true }

    func run(_ inputs: [Tensor?], _ rc: RunContext) throws(EngineError) -> [Tensor] {
        let threads = rc.threads
        let xt = try ctx.required(inputs, 0), wt = try ctx.required(inputs, 1)
        if xt.shape.count == 5 {
            return [try run3D(xt, wt, bias: inputs.count > 2 ? inputs[2] : nil,
                              residual: residualInput.flatMap { $0 < inputs.count ? inputs[$0] : nil }, rc)]
        }
        let plan = try convPlan(xt.shape, wt.shape, threads: threads)
        let outShape = [xt.shape[0], wt.shape[0], plan.shape.geometry.outH, plan.shape.geometry.outW]
        // Every element is written by the GEMM or the direct kernel before the epilogue reads it.
        var yt = try rc.output(0, .float32, xt.shape.count == 3 ? [outShape[0], outShape[1], outShape[3]] : outShape, ctx)
        let bias = inputs.count > 2 ? inputs[2] : nil
        let residual = residualInput.flatMap { $0 < inputs.count ? inputs[$0] : nil }
        let activation = self.activation
        let u = prepared.weights(wt, plan)
        xt.withFloats { x in
            wt.withFloats { w in
                bias.withOptionalFloats { b in
                    residual.withOptionalFloats { r in
                        yt.withMutableFloats { y in
                            u.withUnsafeBufferPointer { up in
                                plan.run(x: x, w: w, bias: b, residual: r, y: y, images: xt.shape[0], activation: activation,
                                         threads: rc.workers, prepared: up.isEmpty ? nil : up.baseAddress)
                            }
                        }
                    }
                }
            }
        }
        return [yt]
    }
}

/// A conv's weights as its plan reads them (`ConvPlan.prepareWeights`), cached against the weight tensor's
/// storage and the plan (constant weights are the same storage every run; the tensor is kept so its storage
/// cannot be reused by another one; the plan changes with the input shape and thread count).
final class PreparedWeights: Sendable {
    private let entry = Mutex<(weights: Tensor, plan: ConvPlan, prepared: [Float])?>(nil)

    func weights(_ w: Tensor, _ plan: ConvPlan) -> [Float] {
        guard plan.needsPreparedWeights else { return [] }
        return entry.withLock { e in
            if let e, e.plan == plan, e.weights.sharesStorage(with: w) { return e.prepared }
            let p = w.withFloats { plan.prepareWeights($0) }
            e = (w, plan, p)
            return p
        }
    }
}

extension ConvOp {
    /// Each output: C/g·KH·KW multiply-adds.
    func multiplyAdds(_ inputs: [TensorType?], _ outputs: [TensorType]) -> Int {
        guard let y = outputs.first, inputs.count > 1, let w = inputs[1] else { return 0 }
        return y.count * w.shape.dropFirst().product
    }
}
