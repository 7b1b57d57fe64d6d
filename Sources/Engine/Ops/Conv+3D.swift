import Kernels
import Tensor

extension ConvOp {
    /// 3-D convolution: on `Conv3DDirect` (the packed GEMM straight from the padded volume) where it applies
    /// (AVX2, one group, height/width stride 1); a 1×1×1 one as a 1×1 over [N, C, D·H, W]; otherwise as one
    /// 2-D convolution per output depth slice, with the kernel's depth taps folded into
    /// the channels: y[i, :, z] = conv2d(x[i, (k, c) at depth z·sD − pD + k·dD], W as [M, kD·C/g, kH, kW]).
    /// Each runs through the 2-D `ConvPlan` (its packed GEMM or Winograd, at K = kD·C·kH·kW instead of a sum
    /// of kD thin GEMMs), image × depth slices are shared out over the threads, and bias, a fused residual and
    /// the activation are applied to each slice as it is stored. The input is copied once as depth slices
    /// `[N, D + pads, C, H, W]` (zero slices for the depth padding); with group 1 and depth dilation 1 the kD
    /// slices a step reads are already contiguous, otherwise each step gathers them.
    func run3D(_ xt: Tensor, _ wt: Tensor, bias: Tensor?, residual: Tensor?, _ rc: RunContext) throws(EngineError) -> Tensor {
        let (win, out) = try window(TensorType(.float32, xt.shape), TensorType(.float32, wt.shape))
        let (n, c, d, h, w) = (xt.shape[0], xt.shape[1], xt.shape[2], xt.shape[3], xt.shape[4])
        let (m, cpg, kd) = (wt.shape[0], wt.shape[1], wt.shape[2])
        let (od, oh, ow) = (out[0], out[1], out[2])
        let (sD, dD, pD) = (win.strides[0], win.dilations[0], win.pads[0])
        let pointwise = wt.shape.dropFirst(2).allSatisfy { $0 == 1 } && win.strides.allSatisfy { $0 == 1 } && win.pads.allSatisfy { $0 == 0 }
        // A 1×1×1 convolution is a 1×1 one over [N, C, D·H, W]: no copy at all.
        let g = pointwise
            ? ConvGeometry(inH: d * h, inW: w, kH: 1, kW: 1, strideH: 1, strideW: 1, dilH: 1, dilW: 1, padTop: 0, padLeft: 0,
                           outH: d * h, outW: w)
            : ConvGeometry(inH: h, inW: w, kH: wt.shape[3], kW: wt.shape[4], strideH: win.strides[1], strideW: win.strides[2],
                           dilH: win.dilations[1], dilW: win.dilations[2], padTop: win.pads[1], padLeft: win.pads[2],
                           outH: oh, outW: ow)
        let shape = ConvShape(channels: pointwise ? c : kd * c, outChannels: m, groups: group, geometry: g)
        guard let plan = ConvPlan(shape, forcing: forced, threads: rc.threads) ?? ConvPlan(shape, threads: rc.threads) else {
            throw ctx.shape("no convolution kernel for \(xt.shape) with weights \(wt.shape)")
        }
        // The zero-padded copy of the input both paths make is bounded by the tensors themselves: honest pads
        // are at most a kernel wide, while hostile ones (up to `Window.maxExtent` with a large depth stride)
        // could ask for terabytes and a small output.
        let limit = 4 * (xt.count + n * m * od * oh * ow) + (1 << 20)
        func checkPadded(_ count: Int) throws(EngineError) {
            guard count <= limit else {
                throw ctx.attribute("pads", "the zero-padded input would hold \(count) floats for an input of \(xt.count)")
            }
        }
        var yt = try rc.output(0, .float32, [n, m, od, oh, ow], ctx)
        let activation = self.activation
        if !pointwise, group == 1, forced == nil || forced == .directPacked,
           let direct = Conv3DDirect(channels: c, outChannels: m, input: (d, h, w), kernel: (kd, wt.shape[3], wt.shape[4]),
                                     output: (od, oh, ow), strides: (sD, win.strides[1], win.strides[2]),
                                     dilations: (dD, win.dilations[1], win.dilations[2]),
                                     padsBegin: (pD, win.pads[1], win.pads[2])) {
            try checkPadded(direct.paddedCount(images: n))
            let packed = wt.withFloats { direct.prepareWeights($0) }
            xt.withFloats { x in packed.withUnsafeBufferPointer { pw in bias.withOptionalFloats { b in
                residual.withOptionalFloats { r in
                    yt.withMutableFloats { y in
                        direct.run(x: x, packedWeights: pw.baseAddress!, bias: b, residual: r, y: y, images: n,
                                   activation: activation, threads: rc.workers)
                    }
                }
            } } }
            return yt
        }
        if pointwise {
            xt.withFloats { x in wt.withFloats { wp in bias.withOptionalFloats { b in residual.withOptionalFloats { r in
                yt.withMutableFloats { y in
                    plan.run(x: x, w: wp, bias: b, residual: r, y: y, images: n, activation: activation, threads: rc.workers)
                }
            } } } }
            return yt
        }
        // Zero slices behind the input so that every tap of every output slice is in range.
        let padBack = max(0, (od - 1) * sD + (kd - 1) * dD + 1 - d - pD), dp = pD + d + padBack
        let plane = h * w, slice = c * plane, outPlane = oh * ow
        try checkPadded([n, dp, slice].product)
        let xs = DepthTaps.slicesPerImage(xt, padFront: pD, padBack: padBack), wf = DepthTaps.depthFolded(wt)
        let prepared = plan.needsPreparedWeights ? wf.withUnsafeBufferPointer { plan.prepareWeights($0.baseAddress!) } : []
        let direct = group == 1 && dD == 1
        let workers = max(1, min(rc.workers, n * od))
        let scratch = m * outPlane + (direct ? 0 : kd * slice)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, scratch * workers))
        defer { buffer.deallocate() }
        xs.withUnsafeBufferPointer { xp in wf.withUnsafeBufferPointer { wp in prepared.withUnsafeBufferPointer { pk in
            bias.withOptionalFloats { b in residual.withOptionalFloats { r in yt.withMutableFloats { y in
                // Tasks: (image, output depth); each slice's bits do not depend on which worker or batch runs it.
                Parallel.run(tasks: n * od, threads: workers) { task, worker in
                    let i = task / od, z = task % od
                    let sp = buffer + worker * scratch
                    var src = xp.baseAddress! + (i * dp + z * sD) * slice
                    if !direct {
                        // Gather the kD slices in the folded channel order (group, tap, channel of the group).
                        let gs = sp + m * outPlane
                        for gi in 0..<group { for k in 0..<kd {
                            (gs + (gi * kd + k) * cpg * plane).update(
                                from: xp.baseAddress! + (i * dp + z * sD + k * dD) * slice + gi * cpg * plane, count: cpg * plane)
                        } }
                        src = UnsafePointer(gs)
                    }
                    plan.run(x: src, w: wp.baseAddress!, bias: nil, residual: nil, y: sp, images: 1, activation: .none,
                             threads: 1, prepared: pk.isEmpty ? nil : pk.baseAddress)
                    DepthTaps.store(sp, into: y, image: i, depth: z, channels: m, outDepth: od, plane: outPlane,
                                    bias: b, residual: r, activation)
                }
            } } }
        } } }
        return yt
    }
}
