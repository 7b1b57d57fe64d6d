import Kernels
import Tensor

/// 3-D convolution and transposed convolution as sums of 2-D ones over the depth taps: the layouts they
/// share (axis 2 moved to the front so each 2-D step reads contiguous memory) and the summation.
enum DepthTaps {
    /// `[A, B, D, rest…]` as `[D, A, B, rest…]` (an input as depth slices of `[N, C, H, W]`; weights as
    /// kernel-depth slices of `[A, B, kH, kW]`).
    static func depthMajor(_ t: Tensor) -> [Float] {
        let (a, b, d) = (t.shape[0], t.shape[1], t.shape[2]), plane = t.shape.dropFirst(3).product
        var out = [Float](repeating: 0, count: t.count)
        t.withFloats { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<a { for j in 0..<b { for z in 0..<d {
                    (dst.baseAddress! + ((z * a + i) * b + j) * plane).update(from: src + ((i * b + j) * d + z) * plane, count: plane)
                } } }
            }
        }
        return out
    }

    /// Σ over `taps` of `step(input depth, kernel depth, scratch)`, each added to output depth `to`: the sums
    /// as `[outDepth, outSlice]`.
    static func sum(_ taps: [(from: Int, k: Int, to: Int)], outDepth: Int, outSlice: Int,
                    _ step: (_ from: Int, _ k: Int, _ into: UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        var acc = [Float](repeating: 0, count: outDepth * outSlice), scratch = [Float](repeating: 0, count: outSlice)
        for t in taps {
            scratch.withUnsafeMutableBufferPointer { step(t.from, t.k, $0.baseAddress!) }
            acc.withUnsafeMutableBufferPointer { a in
                let dst = a.baseAddress! + t.to * outSlice
                for i in 0..<outSlice { dst[i] += scratch[i] }
            }
        }
        return acc
    }

    /// Writes sums `[D, N, M, plane]` into `y` `[N, M, D, plane]`, then bias, residual and activation per image.
    static func store(_ acc: [Float], into y: UnsafeMutablePointer<Float>, images n: Int, channels m: Int, depth d: Int, plane: Int,
                      bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, _ activation: Activation) {
        acc.withUnsafeBufferPointer { a in
            for i in 0..<n { for o in 0..<m { for z in 0..<d {
                (y + ((i * m + o) * d + z) * plane).update(from: a.baseAddress! + ((z * n + i) * m + o) * plane, count: plane)
            } } }
        }
        let image = m * d * plane
        for i in 0..<n {
            Epilogue.apply(y + i * image, ldy: d * plane, rows: m, cols: d * plane, bias: bias,
                           residual: residual.map { $0 + i * image }, ldr: d * plane, activation)
        }
    }
}
