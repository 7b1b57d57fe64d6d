import Kernels
import Tensor

/// ConvTranspose (1-D, 2-D and 3-D; groups, strides, dilations, pads, output_padding, output_shape, auto_pad):
/// per image and group, cols = Wᵀ·x by sgemm, then col2im accumulates into the output, then bias.
/// X [N, C, H, W], W [C, M/group, KH, KW], B [M] -> Y [N, M, OH, OW]
struct ConvTransposeOp: ImageWise {
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
        guard (3...5).contains(x.shape.count), w.shape.count == x.shape.count else {
            throw ctx.input(0, "expected 1-D, 2-D or 3-D input and weights ([N, C, ...] of rank 3 to 5), got \(x.shape) and \(w.shape)")
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
        let xt = try ctx.required(inputs, 0), wt = try ctx.required(inputs, 1)
        guard xt.dtype == .float32, wt.dtype == .float32 else { throw ctx.input(0, "ConvTranspose supports float32 only") }
        let (outSpatial, pads, win) = try layout(xt.shape, wt.shape)
        let n = xt.shape[0], c = xt.shape[1], m = wt.shape[1] * group
        let inSpatial = Array(xt.shape.dropFirst(2)), r = inSpatial.count
        let bias = inputs.count > 2 ? inputs[2] : nil
        var yt = try rc.output(0, .float32, [n, m] + outSpatial, ctx)
        if r == 3 {
            try run3D(xt, wt, bias: bias, outSpatial: outSpatial, pads: pads, win: win, &yt, rc)
            return [yt]
        }
        // The geometry of the forward convolution this one transposes: its input is our output.
        let kH = r == 2 ? wt.shape[2] : 1, kW = wt.shape[r == 2 ? 3 : 2]
        let g = ConvGeometry(inH: r == 2 ? outSpatial[0] : 1, inW: outSpatial[r - 1], kH: kH, kW: kW,
                             strideH: r == 2 ? win.strides[0] : 1, strideW: win.strides[r - 1],
                             dilH: r == 2 ? win.dilations[0] : 1, dilW: win.dilations[r - 1],
                             padTop: r == 2 ? pads[0] : 0, padLeft: pads[r - 1],
                             outH: r == 2 ? inSpatial[0] : 1, outW: inSpatial[r - 1])
        xt.withFloats { x in
            wt.withFloats { w in
                bias.withOptionalFloats { b in
                    yt.withMutableFloats { y in
                        Self.run2D(x: x, w: w, bias: b, y: y, images: n, channels: c, outChannels: m, group: group, g,
                                   threads: rc.threads, workers: rc.workers)
                    }
                }
            }
        }
        return [yt]
    }

    /// The 2-D (and 1-D, as height 1) transposed convolution: per image, group and output-channel chunk,
    /// cols = Wᵀ·x by sgemm, then col2im into y, then bias. `g` is the forward convolution's geometry (its
    /// input is y [images, outChannels, g.inH, g.inW]; its output is x [images, channels, g.outH, g.outW]).
    static func run2D(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                      images n: Int, channels c: Int, outChannels m: Int, group: Int, _ g: ConvGeometry, threads: Int, workers: Int) {
        let mpg = m / group, cpg = c / group
        let inPixels = g.outH * g.outW, outPixels = g.inH * g.inW, taps = g.kH * g.kW, rows = mpg * taps
        y.update(repeating: 0, count: n * m * outPixels)  // col2im accumulates
        // Tasks: image × group × output-channel chunk (chunks write disjoint planes; one per image and
        // group on one thread, 2 per thread otherwise so batch 1 uses every thread).
        let chunks = threads > 1 ? min(2 * threads, mpg) : 1, perChunk = (mpg + chunks - 1) / chunks
        let workers = max(1, min(workers, n * group * chunks))
        let scratch = perChunk * taps * inPixels
        let cols = UnsafeMutablePointer<Float>.allocate(capacity: max(1, scratch * workers))
        defer { cols.deallocate() }
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
            if let bias {
                for ch in 0..<mc {
                    let bv = bias[grp * mpg + m0 + ch], plane = out + ch * outPixels
                    for p in 0..<outPixels { plane[p] += bv }
                }
            }
        }
    }

    /// 3-D as a sum over depth taps of 2-D transposed convolutions: input depth z with kernel depth k adds to
    /// output depth z·sD − pD + k·dD. Tasks are (image, output depth): each sums its taps (a 2-D transposed
    /// convolution of one input slice each) in a scratch slice and stores it with the bias, so the threads
    /// share out slices and nothing the size of the volume is allocated beyond one copy of the input as
    /// depth slices `[N, D, C, H, W]`.
    private func run3D(_ xt: Tensor, _ wt: Tensor, bias: Tensor?, outSpatial: [Int], pads: [Int], win: Window,
                       _ yt: inout Tensor, _ rc: RunContext) throws(EngineError) {
        let (n, c, d, h, w) = (xt.shape[0], xt.shape[1], xt.shape[2], xt.shape[3], xt.shape[4])
        let (mpg, kd, kh, kw) = (wt.shape[1], wt.shape[2], wt.shape[3], wt.shape[4])
        let m = mpg * group, (od, oh, ow) = (outSpatial[0], outSpatial[1], outSpatial[2])
        let (sD, dD, pD) = (win.strides[0], win.dilations[0], pads[0])
        let g = ConvGeometry(inH: oh, inW: ow, kH: kh, kW: kw, strideH: win.strides[1], strideW: win.strides[2],
                             dilH: win.dilations[1], dilW: win.dilations[2], padTop: pads[1], padLeft: pads[2], outH: h, outW: w)
        let slice = c * h * w, outPlane = oh * ow, outSlice = m * outPlane
        let xs = DepthTaps.slicesPerImage(xt), ws = DepthTaps.tapMajor(wt), wslice = wt.count / kd
        let workers = max(1, min(rc.workers, n * od))
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, 2 * outSlice * workers))
        defer { buffer.deallocate() }
        let group = self.group
        xs.withUnsafeBufferPointer { xp in ws.withUnsafeBufferPointer { wp in bias.withOptionalFloats { b in
            yt.withMutableFloats { y in
                Parallel.run(tasks: n * od, threads: workers) { task, worker in
                    let i = task / od, oz = task % od
                    let acc = buffer + worker * 2 * outSlice, step = acc + outSlice
                    acc.update(repeating: 0, count: outSlice)
                    for k in 0..<kd {
                        let t = oz + pD - k * dD
                        guard t >= 0, t % sD == 0, t / sD < d else { continue }
                        Self.run2D(x: xp.baseAddress! + (i * d + t / sD) * slice, w: wp.baseAddress! + k * wslice, bias: nil,
                                   y: step, images: 1, channels: c, outChannels: m, group: group, g, threads: 1, workers: 1)
                        for j in 0..<outSlice { acc[j] += step[j] }
                    }
                    DepthTaps.store(acc, into: y, image: i, depth: oz, channels: m, outDepth: od, plane: outPlane,
                                    bias: b, residual: nil, .none)
                }
            }
        } } }
    }
}

extension ConvTransposeOp {
    /// Each input element: M/g·KH·KW multiply-adds.
    func multiplyAdds(_ inputs: [TensorType?], _ outputs: [TensorType]) -> Int {
        guard inputs.count > 1, let x = inputs[0], let w = inputs[1] else { return 0 }
        return x.count * w.shape.dropFirst().product
    }
}
