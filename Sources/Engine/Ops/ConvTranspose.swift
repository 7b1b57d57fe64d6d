import Kernels
import Tensor

/// ConvTranspose (2-D and 1-D; groups, strides, dilations, pads, output_padding, output_shape, auto_pad):
/// per image and group, cols = Wᵀ·x by sgemm, then col2im accumulates into the output, then bias.
/// X [N, C, H, W], W [C, M/group, KH, KW], B [M] -> Y [N, M, OH, OW]
struct ConvTransposeOp: Operator {
    let ctx: NodeContext
    let node: Node
    let group: Int

    init(_ n: Node, _ opset: Int) throws(EngineError) {
        ctx = n.context
        node = n
        group = try n.int("group", default: 1) ?? 1
        guard group >= 1 else { throw ctx.attribute("group", "must be >= 1, got \(group)") }
    }

    private func layout(_ x: [Int], _ w: [Int]) throws(EngineError) -> (out: [Int], pads: [Int], win: Window) {
        let spatial = Array(w.dropFirst(2)), r = spatial.count
        var win = try Window(node, kernel: spatial)
        let inSpatial = Array(x.dropFirst(2))
        let outputPadding = try node.ints("output_padding") ?? [Int](repeating: 0, count: r)
        guard outputPadding.count == r else { throw ctx.attribute("output_padding", "expected \(r) values, got \(outputPadding.count)") }
        guard outputPadding.allSatisfy({ (0...Window.maxExtent).contains($0) }) else {
            throw ctx.attribute("output_padding", "must be in 0...\(Window.maxExtent), got \(outputPadding)")
        }
        var out = [Int](repeating: 0, count: r)
        var pads = win.pads
        if let shape = try node.ints("output_shape") {
            let target = Array(shape.suffix(r))
            guard target.count == r, target.allSatisfy({ (1...Window.maxExtent).contains($0) }) else {
                throw ctx.attribute("output_shape", "expected \(r) spatial values in 1...\(Window.maxExtent), got \(shape)")
            }
            for i in 0..<r {
                let full = win.strides[i] * (inSpatial[i] - 1) + outputPadding[i] + (spatial[i] - 1) * win.dilations[i] + 1
                let total = max(0, full - target[i])
                if win.autoPad == "SAME_UPPER" {
                    pads[i] = total / 2; pads[i + r] = total - total / 2
                } else {
                    pads[i] = total - total / 2; pads[i + r] = total / 2
                }
                out[i] = target[i]
            }
        } else {
            for i in 0..<r {
                let full = win.strides[i] * (inSpatial[i] - 1) + outputPadding[i] + (spatial[i] - 1) * win.dilations[i] + 1
                if win.autoPad == "SAME_UPPER" || win.autoPad == "SAME_LOWER" {
                    out[i] = inSpatial[i] * win.strides[i]
                    let total = max(0, full - out[i])
                    pads[i] = win.autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                    pads[i + r] = total - pads[i]
                } else {
                    if win.autoPad == "VALID" { pads[i] = 0; pads[i + r] = 0 }
                    out[i] = full - pads[i] - pads[i + r]
                }
            }
        }
        guard out.allSatisfy({ $0 > 0 }) else { throw ctx.shape("output size \(out) is not positive") }
        win.pads = pads
        return (out, pads, win)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0), w = try ctx.required(inputs, 1)
        guard x.shape.count == 4 || x.shape.count == 3, w.shape.count == x.shape.count else {
            throw ctx.input(0, "expected 3-D or 4-D input and weights, got \(x.shape) and \(w.shape)")
        }
        guard w.shape[0] == x.shape[1], x.shape[1] % group == 0 else {
            throw ctx.shape("weights \(w.shape) do not match input channels \(x.shape[1]) with group \(group)")
        }
        let (out, _, _) = try layout(x.shape, w.shape)
        return [TensorType(.float32, [x.shape[0], w.shape[1] * group] + out)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] { try run(inputs, .serial) }
    var writesIntoArena: Bool { true }

    func run(_ inputs: [Tensor?], _ rc: RunContext) throws(EngineError) -> [Tensor] {
        let threads = rc.threads
        let xt = try ctx.required(inputs, 0), wt = try ctx.required(inputs, 1)
        let (outSpatial, pads, win) = try layout(xt.shape, wt.shape)
        let n = xt.shape[0], c = xt.shape[1], mpg = wt.shape[1], m = mpg * group, cpg = c / group
        let inSpatial = Array(xt.shape.dropFirst(2)), r = inSpatial.count
        let kH = r == 2 ? wt.shape[2] : 1, kW = wt.shape[r == 2 ? 3 : 2]
        let g = ConvGeometry(inH: r == 2 ? outSpatial[0] : 1, inW: outSpatial[r - 1], kH: kH, kW: kW,
                             strideH: r == 2 ? win.strides[0] : 1, strideW: win.strides[r - 1],
                             dilH: r == 2 ? win.dilations[0] : 1, dilW: win.dilations[r - 1],
                             padTop: r == 2 ? pads[0] : 0, padLeft: pads[r - 1],
                             outH: r == 2 ? inSpatial[0] : 1, outW: inSpatial[r - 1])
        let inPixels = g.outH * g.outW, outPixels = g.inH * g.inW, taps = kH * kW, rows = mpg * taps
        guard xt.dtype == .float32, wt.dtype == .float32 else { throw ctx.input(0, "ConvTranspose supports float32 only") }
        var yt = try rc.output(0, .float32, [n, m] + outSpatial, ctx)
        yt.withMutableFloats { $0.update(repeating: 0, count: n * m * outSpatial.product) }  // col2im accumulates
        // Tasks: image × group × output-channel chunk (chunks write disjoint planes; one per image and
        // group on one thread, 2 per thread otherwise so batch 1 uses every thread).
        let chunks = threads > 1 ? min(2 * threads, mpg) : 1, perChunk = (mpg + chunks - 1) / chunks
        let bias = inputs.count > 2 ? inputs[2] : nil
        let workers = max(1, min(rc.workers, n * group * chunks))
        let scratch = perChunk * taps * inPixels
        let cols = UnsafeMutablePointer<Float>.allocate(capacity: max(1, scratch * workers))
        defer { cols.deallocate() }
        xt.withFloats { x in
            wt.withFloats { w in
                bias.withOptionalFloats { b in
                    yt.withMutableFloats { y in
                        Parallel.run(tasks: n * group * chunks, threads: workers) { task, worker in
                            let img = task / (group * chunks), grp = task / chunks % group, chunk = task % chunks
                            let m0 = chunk * perChunk, mc = min(mpg - m0, perChunk)
                            guard mc > 0 else { return }
                            let cp = cols + worker * scratch
                            // cols [mc·KH·KW, H·W] = W_g[:, m0·KH·KW ...]ᵀ [C/g, mc·KH·KW]ᵀ · x_g [C/g, H·W]
                            GEMM.sgemm(transA: true, m: mc * taps, n: inPixels, k: cpg, a: w + grp * cpg * rows + m0 * taps,
                                       lda: rows, b: x + (img * c + grp * cpg) * inPixels, ldb: inPixels, c: cp, ldc: inPixels)
                            let out = y + (img * m + grp * mpg + m0) * outPixels
                            Im2col.col2im(cp, channels: mc, g, out)
                            if let b {
                                for ch in 0..<mc {
                                    let bv = b[grp * mpg + m0 + ch], plane = out + ch * outPixels
                                    for p in 0..<outPixels { plane[p] += bv }
                                }
                            }
                        }
                    }
                }
            }
        }
        return [yt]
    }
}
