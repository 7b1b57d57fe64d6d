import Kernels
import Tensor

extension ConvOp {
    /// 3-D convolution as a sum of 2-D ones: y[:, :, od] = Σ_kd conv2d(x[:, :, od·sD − pD + kd·dD], W[:, :, kd]),
    /// each through the 2-D `ConvPlan` (its packed GEMM, Winograd or direct kernels, threads and tiling), so
    /// memory stays at one depth slice of im2col, never a whole volume's. Bias, the fused residual and the
    /// activation are applied once the depth taps are summed.
    func run3D(_ xt: Tensor, _ wt: Tensor, bias: Tensor?, residual: Tensor?, _ rc: RunContext) throws(EngineError) -> Tensor {
        let (win, out) = try window(TensorType(.float32, xt.shape), TensorType(.float32, wt.shape))
        let (n, c, d, h, w) = (xt.shape[0], xt.shape[1], xt.shape[2], xt.shape[3], xt.shape[4])
        let (m, kd) = (wt.shape[0], wt.shape[2])
        let (od, oh, ow) = (out[0], out[1], out[2])
        let g = ConvGeometry(inH: h, inW: w, kH: wt.shape[3], kW: wt.shape[4], strideH: win.strides[1], strideW: win.strides[2],
                             dilH: win.dilations[1], dilW: win.dilations[2], padTop: win.pads[1], padLeft: win.pads[2],
                             outH: oh, outW: ow)
        let shape = ConvShape(channels: c, outChannels: m, groups: group, geometry: g)
        guard let plan = ConvPlan(shape, forcing: forced, threads: rc.threads) ?? ConvPlan(shape, threads: rc.threads) else {
            throw ctx.shape("no convolution kernel for \(xt.shape) with weights \(wt.shape)")
        }
        let slice = n * c * h * w, outPlane = oh * ow
        // Input as [D, N, C, H, W] and weights as kD slices [M, C/g, kH, kW]: each 2-D step reads contiguous memory.
        let xs = DepthTaps.depthMajor(xt), ws = DepthTaps.depthMajor(wt), wslice = wt.count / kd
        let prepared = (0..<kd).map { k in
            plan.needsPreparedWeights ? ws.withUnsafeBufferPointer { plan.prepareWeights($0.baseAddress! + k * wslice) } : []
        }
        var taps: [(from: Int, k: Int, to: Int)] = []
        for z in 0..<od {
            for k in 0..<kd {
                let iz = z * win.strides[0] - win.pads[0] + k * win.dilations[0]
                if iz >= 0 && iz < d { taps.append((iz, k, z)) }
            }
        }
        let acc = DepthTaps.sum(taps, outDepth: od, outSlice: n * m * outPlane) { iz, k, y in
            xs.withUnsafeBufferPointer { x in
                ws.withUnsafeBufferPointer { wk in
                    prepared[k].withUnsafeBufferPointer { pk in
                        plan.run(x: x.baseAddress! + iz * slice, w: wk.baseAddress! + k * wslice, bias: nil, residual: nil, y: y,
                                 images: n, activation: .none, threads: rc.workers, prepared: pk.isEmpty ? nil : pk.baseAddress)
                    }
                }
            }
        }
        var yt = try rc.output(0, .float32, [n, m, od, oh, ow], ctx)
        let activation = self.activation
        yt.withMutableFloats { y in
            bias.withOptionalFloats { b in
                residual.withOptionalFloats { r in
                    DepthTaps.store(acc, into: y, images: n, channels: m, depth: od, plane: outPlane, bias: b, residual: r, activation)
                }
            }
        }
        return yt
    }
}
