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
        let plane = h * w, slice = n * c * plane, outPlane = oh * ow, outSlice = n * m * outPlane
        // Input as [D, N, C, H, W] and weights as kD slices [M, C/g, kH, kW]: each 2-D step reads contiguous memory.
        var xs = [Float](repeating: 0, count: d * slice)
        xt.withFloats { x in
            xs.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n { for ch in 0..<c { for z in 0..<d {
                    (dst.baseAddress! + ((z * n + i) * c + ch) * plane).update(from: x + ((i * c + ch) * d + z) * plane, count: plane)
                } } }
            }
        }
        let taps = wt.shape[1] * wt.shape[3] * wt.shape[4]
        let weights: [[Float]] = wt.withFloats { wp in
            (0..<kd).map { k in
                var s = [Float](repeating: 0, count: m * taps)
                for o in 0..<m { for ci in 0..<wt.shape[1] {
                    let src = wp + ((o * wt.shape[1] + ci) * kd + k) * wt.shape[3] * wt.shape[4]
                    for t in 0..<(wt.shape[3] * wt.shape[4]) { s[(o * wt.shape[1] + ci) * wt.shape[3] * wt.shape[4] + t] = src[t] }
                } }
                return s
            }
        }
        let prepared = weights.map { s in plan.needsPreparedWeights ? s.withUnsafeBufferPointer { plan.prepareWeights($0.baseAddress!) } : [] }
        // Sums per output depth, as [oD, N, M, oH, oW].
        var acc = [Float](repeating: 0, count: od * outSlice), step = [Float](repeating: 0, count: outSlice)
        for z in 0..<od {
            for k in 0..<kd {
                let iz = z * win.strides[0] - win.pads[0] + k * win.dilations[0]
                guard iz >= 0, iz < d else { continue }
                xs.withUnsafeBufferPointer { x in
                    weights[k].withUnsafeBufferPointer { wk in
                        prepared[k].withUnsafeBufferPointer { pk in
                            step.withUnsafeMutableBufferPointer { y in
                                plan.run(x: x.baseAddress! + iz * slice, w: wk.baseAddress!, bias: nil, residual: nil,
                                         y: y.baseAddress!, images: n, activation: .none, threads: rc.workers,
                                         prepared: pk.isEmpty ? nil : pk.baseAddress)
                            }
                        }
                    }
                }
                acc.withUnsafeMutableBufferPointer { a in
                    let dst = a.baseAddress! + z * outSlice
                    for i in 0..<outSlice { dst[i] += step[i] }
                }
            }
        }
        var yt = try rc.output(0, .float32, [n, m, od, oh, ow], ctx)
        let activation = self.activation
        yt.withMutableFloats { y in
            for i in 0..<n { for o in 0..<m { for z in 0..<od {
                acc.withUnsafeBufferPointer { a in
                    (y + ((i * m + o) * od + z) * outPlane).update(from: a.baseAddress! + ((z * n + i) * m + o) * outPlane, count: outPlane)
                }
            } } }
            bias.withOptionalFloats { b in
                residual.withOptionalFloats { r in
                    for i in 0..<n {
                        Epilogue.apply(y + i * m * od * outPlane, ldy: od * outPlane, rows: m, cols: od * outPlane, bias: b,
                                       residual: r.map { $0 + i * m * od * outPlane }, ldr: od * outPlane, activation)
                    }
                }
            }
        }
        return yt
    }
}
