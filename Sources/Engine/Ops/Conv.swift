import Kernels
import Tensor

/// Padding and output size of a convolution or pooling window along each spatial axis.
struct Window {
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
        guard strides.allSatisfy({ $0 > 0 }) else { throw c.attribute("strides", "must be positive, got \(strides)") }
        guard dilations.allSatisfy({ $0 > 0 }) else { throw c.attribute("dilations", "must be positive, got \(dilations)") }
        guard pads.allSatisfy({ $0 >= 0 }) else { throw c.attribute("pads", "must be non-negative, got \(pads)") }
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

/// Activation fused into a conv epilogue.
enum Epilogue: Sendable {
    case none, relu, clip(Float, Float), leakyRelu(Float), hardSwish, sigmoid

    /// From the "_activation" attributes the fusion pass sets.
    init(fusedInto n: Node) throws(EngineError) {
        switch try n.string("_activation") {
        case nil: self = .none
        case "Relu": self = .relu
        case "LeakyRelu": self = .leakyRelu(try n.float("_alpha", default: 0.01) ?? 0.01)
        case "HardSwish": self = .hardSwish
        case "Sigmoid": self = .sigmoid
        case "Clip": self = .clip(try n.float("_alpha") ?? -.greatestFiniteMagnitude, try n.float("_beta") ?? .greatestFiniteMagnitude)
        case let other?: throw n.context.attribute("_activation", "unknown fused activation \(other)")
        }
    }

    @inline(__always) func apply(_ x: Float) -> Float {
        switch self {
        case .none: return x
        case .relu: return max(x, 0)
        case .clip(let lo, let hi): return min(max(x, lo), hi)
        case .leakyRelu(let a): return x >= 0 ? x : a * x
        case .hardSwish: return x * max(0, min(1, x / 6 + 0.5))
        case .sigmoid: return 1 / (1 + exp(-x))
        }
    }
}

import Foundation

/// Conv (1-D and 2-D, groups incl. depthwise, dilations, strides, pads, auto_pad): per image and group,
/// im2col + OpenBLAS sgemm, then bias, an optional residual and activation in one pass over the output.
/// Inputs: X [N, C, H, W], W [M, C/group, KH, KW], optional B [M]; fused: optional residual [N, M, OH, OW].
struct ConvOp: Operator {
    let ctx: NodeContext
    let group: Int
    let kernelShape: [Int]?
    let node: Node
    var epilogue: Epilogue = .none
    /// Index of the fused residual input (after X, W, B), if any.
    var residualInput: Int?

    init(_ n: Node, _ opset: Int) throws(EngineError) {
        ctx = n.context
        node = n
        group = try n.int("group", default: 1) ?? 1
        kernelShape = try n.ints("kernel_shape")
        guard group >= 1 else { throw ctx.attribute("group", "must be >= 1, got \(group)") }
        epilogue = try Epilogue(fusedInto: n)
        residualInput = n.attributes["_residual"] != nil ? 3 : nil
    }

    private func window(_ x: TensorType, _ w: TensorType) throws(EngineError) -> (Window, [Int]) {
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
        guard x.shape.count == 3 || x.shape.count == 4 else {
            throw ctx.input(0, "expected a 3-D or 4-D input, got shape \(x.shape) (3-D convolutions are not supported yet)")
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

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] {
        let xt = try ctx.required(inputs, 0), wt = try ctx.required(inputs, 1)
        let (win, outSpatial) = try window(TensorType(xt.dtype, xt.shape), TensorType(wt.dtype, wt.shape))
        let n = xt.shape[0], c = xt.shape[1], m = wt.shape[0]
        let inSpatial = Array(xt.shape.dropFirst(2))
        let g = win.geometry(inSpatial, outSpatial)
        let cpg = c / group, mpg = m / group
        let k = cpg * g.kH * g.kW, pixels = g.outH * g.outW, inPixels = g.inH * g.inW
        let bias = inputs.count > 2 ? inputs[2]?.floats() : nil
        let residualTensor = residualInput.flatMap { $0 < inputs.count ? inputs[$0] : nil }
        var yt: Tensor
        // Every element is written by the GEMM (beta 0) before the epilogue reads it.
        do { yt = try Tensor(uninitialized: .float32, shape: [n, m] + outSpatial) } catch { throw ctx.shape(error.description) }
        // 1x1, stride 1, no padding: the input plane is already the column matrix.
        let pointwise = g.kH == 1 && g.kW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 && g.padLeft == 0
            && g.outH == g.inH && g.outW == g.inW
        // im2col writes every element of the column buffer: no zeroing.
        var cols = [Float](unsafeUninitializedCapacity: pointwise ? 0 : k * pixels) { _, count in count = pointwise ? 0 : k * pixels }
        let epilogue = self.epilogue
        xt.withUnsafeBytes { xr in
            wt.withUnsafeBytes { wr in
                yt.withUnsafeMutableBytes { yr in
                    cols.withUnsafeMutableBufferPointer { cp in
                        let xp = xr.bindMemory(to: Float.self).baseAddress!, wp = wr.bindMemory(to: Float.self).baseAddress!
                        let yp = yr.bindMemory(to: Float.self).baseAddress!
                        for img in 0..<n {
                            for grp in 0..<group {
                                let src = xp + (img * c + grp * cpg) * inPixels
                                let b: UnsafePointer<Float>
                                if pointwise {
                                    b = src
                                } else {
                                    Im2col.run(src, channels: cpg, g, cp.baseAddress!)
                                    b = UnsafePointer(cp.baseAddress!)
                                }
                                GEMM.sgemm(m: mpg, n: pixels, k: k, a: wp + grp * mpg * k, lda: k, b: b,
                                           ldb: pixels, c: yp + (img * m + grp * mpg) * pixels, ldc: pixels)
                            }
                            // Epilogue for this image while its output is in cache: bias, residual, activation.
                            let apply: (UnsafePointer<Float>?) -> Void = { rp in
                                for ch in 0..<m {
                                    let base = (img * m + ch) * pixels
                                    let bv = bias?[ch] ?? 0
                                    let out = yp + base
                                    if let rp {
                                        let r = rp + base
                                        for p in 0..<pixels { out[p] = epilogue.apply(out[p] + bv + r[p]) }
                                    } else {
                                        for p in 0..<pixels { out[p] = epilogue.apply(out[p] + bv) }
                                    }
                                }
                            }
                            if let residualTensor {
                                residualTensor.withUnsafeBytes { apply($0.bindMemory(to: Float.self).baseAddress!) }
                            } else {
                                apply(nil)
                            }
                        }
                    }
                }
            }
        }
        return [yt]
    }
}
