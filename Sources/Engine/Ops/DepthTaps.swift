import Kernels
import Tensor

/// The layouts 3-D convolution and transposed convolution share: the depth axis moved outside the
/// channels so that one depth slice of one image, `[C, H, W]`, is contiguous for a 2-D kernel.
enum DepthTaps {
    /// `[N, C, D, rest…]` as `[N, padFront + D + padBack, C, rest…]`, the pad slices zero.
    static func slicesPerImage(_ t: Tensor, padFront: Int = 0, padBack: Int = 0) -> [Float] {
        let (n, c, d) = (t.shape[0], t.shape[1], t.shape[2]), plane = t.shape.dropFirst(3).product
        let dp = padFront + d + padBack
        var out = [Float](repeating: 0, count: n * dp * c * plane)
        t.withFloats { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n { for j in 0..<c { for z in 0..<d {
                    (dst.baseAddress! + ((i * dp + padFront + z) * c + j) * plane)
                        .update(from: src + ((i * c + j) * d + z) * plane, count: plane)
                } } }
            }
        }
        return out
    }

    /// Weights `[A, B, kD, rest…]` as `[A, kD, B, rest…]`: a convolution's `[M, C/g, kD, kH, kW]` as the 2-D
    /// weights `[M, kD·C/g, kH, kW]` of the depth taps folded into the channels.
    static func depthFolded(_ t: Tensor) -> [Float] { permuted(t) { i, j, z, _, b, d in (i * d + z) * b + j } }

    /// Weights `[A, B, kD, rest…]` as `[kD, A, B, rest…]`: a transposed convolution's kernel-depth slices.
    static func tapMajor(_ t: Tensor) -> [Float] { permuted(t) { i, j, z, a, b, _ in (z * a + i) * b + j } }

    /// `[A, B, D, rest…]` with each `rest` block (i, j, z) moved to block `to(i, j, z, A, B, D)`.
    private static func permuted(_ t: Tensor, _ to: (Int, Int, Int, Int, Int, Int) -> Int) -> [Float] {
        let (a, b, d) = (t.shape[0], t.shape[1], t.shape[2]), plane = t.shape.dropFirst(3).product
        var out = [Float](repeating: 0, count: t.count)
        t.withFloats { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<a { for j in 0..<b { for z in 0..<d {
                    (dst.baseAddress! + to(i, j, z, a, b, d) * plane).update(from: src + ((i * b + j) * d + z) * plane, count: plane)
                } } }
            }
        }
        return out
    }

    /// Copies `[M, plane]` (one output depth slice of image `i`) into `y` `[N, M, D, plane]` at depth `z`,
    /// then applies bias, residual (same layout as `y`) and activation to that slice.
    static func store(_ slice: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, image i: Int, depth z: Int,
                      channels m: Int, outDepth od: Int, plane: Int, bias: UnsafePointer<Float>?,
                      residual: UnsafePointer<Float>?, _ activation: Activation) {
        let at = (i * m * od + z) * plane
        for o in 0..<m { (y + at + o * od * plane).update(from: slice + o * plane, count: plane) }
        Epilogue.apply(y + at, ldy: od * plane, rows: m, cols: plane, bias: bias, residual: residual.map { $0 + at },
                       ldr: od * plane, activation)
    }
}
