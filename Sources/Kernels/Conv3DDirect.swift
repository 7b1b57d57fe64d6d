import KernelsAVX2

/// 3-D convolution (one group, height and width stride 1) on the packed GEMM straight from the zero-padded
/// volume, as `directPacked` does in 2-D: the input of each image is padded once to [C, Dp, Hp, Wp]; output
/// voxel (z, oy, ox) is column q = oy · Wp + ox of slice z, and kernel tap (a, b, e) is the fixed offset
/// a·dD·Hp·Wp + b·dH·Wp + e·dW, so K = C · kD·kH·kW runs over the weights in their ONNX order with no im2col
/// and no per-slice copies. Measured on the 3-D U-Net of `Benchmarks/engine` (128³, 8–16 channels): the
/// full-resolution 3×3×3 layers ran 2–3× faster than a 2-D convolution per output slice with the depth
/// taps folded into the channels, which pads a kD·C-channel copy for every slice.
public struct Conv3DDirect: Sendable {
    public let channels: Int, outChannels: Int
    public let input: (d: Int, h: Int, w: Int), kernel: (d: Int, h: Int, w: Int), output: (d: Int, h: Int, w: Int)
    public let strideD: Int, dilations: (d: Int, h: Int, w: Int), padsBegin: (d: Int, h: Int, w: Int)
    /// Padded extents: every tap of every output voxel (and the dropped columns past each row) is inside.
    let padded: (d: Int, h: Int, w: Int)

    /// Nil where the path does not apply: no AVX2/FMA, or a height or width stride above 1.
    public init?(channels: Int, outChannels: Int, input: (d: Int, h: Int, w: Int), kernel: (d: Int, h: Int, w: Int),
                 output: (d: Int, h: Int, w: Int), strides: (d: Int, h: Int, w: Int), dilations: (d: Int, h: Int, w: Int),
                 padsBegin: (d: Int, h: Int, w: Int)) {
        guard CPUFeatures.avx2FMA, strides.h == 1, strides.w == 1 else { return nil }
        self.channels = channels
        self.outChannels = outChannels
        self.input = input
        self.kernel = kernel
        self.output = output
        self.strideD = strides.d
        self.dilations = dilations
        self.padsBegin = padsBegin
        padded = (max(padsBegin.d + input.d, (output.d - 1) * strides.d + (kernel.d - 1) * dilations.d + 1),
                  max(padsBegin.h + input.h, output.h + (kernel.h - 1) * dilations.h),
                  max(padsBegin.w + input.w, output.w + (kernel.w - 1) * dilations.w))
    }

    var taps: Int { kernel.d * kernel.h * kernel.w }

    /// Floats of the padded volumes `run` allocates for `images` images (saturating).
    public func paddedCount(images: Int) -> Int {
        [images, channels, padded.d, padded.h, padded.w].reduce(1) { a, b in
            let (m, o) = a.multipliedReportingOverflow(by: b)
            return o ? .max : m
        }
    }

    /// The weights [M, C, kD, kH, kW] packed for the GEMM (once per plan or run).
    public func prepareWeights(_ w: UnsafePointer<Float>) -> [Float] {
        let k = channels * taps
        return [Float](unsafeUninitializedCapacity: PackedGEMM.packedCount(m: outChannels, k: k)) { buf, count in
            PackedGEMM.packA(w, lda: k, m: outChannels, k: k, into: buf.baseAddress!)
            count = buf.count
        }
    }

    /// y [N, M, oD, oH, oW] = conv(x [N, C, D, H, W]) + bias, + residual (laid out as y), then `activation`.
    /// Tasks are (image, output depth slice), shared out over `threads` workers.
    public func run(x: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                    residual: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, images n: Int,
                    activation: Activation, threads: Int) {
        let (dp, hp, wp) = padded
        let plane = dp * hp * wp, volume = channels * plane
        let inPlane = input.h * input.w, outPlane = output.h * output.w
        // The padded volumes of every image.
        let xp = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n * volume))
        defer { xp.deallocate() }
        Parallel.run(tasks: n * channels, threads: threads) { task, _ in
            let dst = xp + task * plane, src = x + task * input.d * inPlane
            dst.initialize(repeating: 0, count: plane)
            for z in 0..<input.d {
                for r in 0..<input.h {
                    (dst + ((padsBegin.d + z) * hp + padsBegin.h + r) * wp + padsBegin.w)
                        .update(from: src + (z * input.h + r) * input.w, count: input.w)
                }
            }
        }
        var offsets: [Int] = []
        for a in 0..<kernel.d { for b in 0..<kernel.h { for e in 0..<kernel.w {
            offsets.append((a * dilations.d * hp + b * dilations.h) * wp + e * dilations.w)
        } } }
        // Columns of one slice: output row oy starts at oy · Wp; the Wp − oW columns after each row are dropped.
        let nq = (output.h - 1) * wp + output.w
        let workers = max(1, min(threads, n * output.d))
        let panels = UnsafeMutablePointer<Float>.allocate(capacity: max(1, outChannels * nq * workers))
        defer { panels.deallocate() }
        let (m, od) = (outChannels, output.d)
        offsets.withUnsafeBufferPointer { off in
            Parallel.run(tasks: n * od, threads: workers) { task, worker in
                let i = task / od, z = task % od
                let panel = panels + worker * m * nq
                let base = i * volume + z * strideD * hp * wp
                PackedGEMM.multiplyShifted(m: m, n: nq, channels: channels, offsets: off.baseAddress!, taps: off.count,
                                           plane: plane, packedA: packedWeights, x: xp + base, c: panel, ldc: nq,
                                           readable: n * volume - base)
                let at = (i * m * od + z) * outPlane
                for o in 0..<m {
                    for oy in 0..<output.h {
                        (y + at + o * od * outPlane + oy * output.w).update(from: panel + o * nq + oy * wp, count: output.w)
                    }
                }
                Epilogue.apply(y + at, ldy: od * outPlane, rows: m, cols: outPlane, bias: bias,
                               residual: residual.map { $0 + at }, ldr: od * outPlane, activation)
            }
        }
    }
}
