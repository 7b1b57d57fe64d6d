/// Geometry of one 2-D convolution window (spatial dims only).
public struct ConvGeometry: Sendable, Equatable {
    public var inH: Int, inW: Int, kH: Int, kW: Int
    public var strideH: Int, strideW: Int, dilH: Int, dilW: Int
    public var padTop: Int, padLeft: Int
    public var outH: Int, outW: Int

    public init(inH: Int, inW: Int, kH: Int, kW: Int, strideH: Int, strideW: Int, dilH: Int, dilW: Int,
                padTop: Int, padLeft: Int, outH: Int, outW: Int) {
        self.inH = inH; self.inW = inW; self.kH = kH; self.kW = kW
        self.strideH = strideH; self.strideW = strideW; self.dilH = dilH; self.dilW = dilW
        self.padTop = padTop; self.padLeft = padLeft; self.outH = outH; self.outW = outW
    }
}

extension ConvGeometry {
    /// The output columns [lo, hi) whose input column for kernel column `kx` lies inside the image.
    @inline(__always) func insideColumns(_ kx: Int) -> (Int, Int) {
        let x0 = kx * dilW - padLeft
        let lo = min(outW, max(0, (-x0 + strideW - 1) / strideW))
        return (lo, max(lo, min(outW, (inW - x0 + strideW - 1) / strideW)))
    }
}

public enum Im2col {
    // im2col: [C, H, W] -> [C*KH*KW, R*OW] for the output rows `rows` (all by default; R = rows.count),
    // zero outside the padded input.
    public static func run(_ src: UnsafePointer<Float>, channels: Int, _ g: ConvGeometry, _ dst: UnsafeMutablePointer<Float>,
                           rows: Range<Int>? = nil) {
        let oys = rows ?? 0..<g.outH
        let cols = oys.count * g.outW
        var row = 0
        for c in 0..<channels {
            let plane = src + c * g.inH * g.inW
            for ky in 0..<g.kH {
                for kx in 0..<g.kW {
                    let out = dst + row * cols
                    let x0 = kx * g.dilW - g.padLeft
                    let (lo, hi) = g.insideColumns(kx)
                    for oy in oys {
                        let iy = oy * g.strideH - g.padTop + ky * g.dilH
                        let o = out + (oy - oys.lowerBound) * g.outW
                        if iy < 0 || iy >= g.inH {
                            o.update(repeating: 0, count: g.outW)
                            continue
                        }
                        let line = plane + iy * g.inW + x0
                        if lo > 0 { o.update(repeating: 0, count: lo) }
                        if g.strideW == 1 {
                            (o + lo).update(from: line + lo, count: hi - lo)  // interior: one copy
                        } else {
                            for ox in lo..<hi { o[ox] = line[ox * g.strideW] }
                        }
                        if hi < g.outW { (o + hi).update(repeating: 0, count: g.outW - hi) }
                    }
                    row += 1
                }
            }
        }
    }

    // col2im: [C*KH*KW, H'*W'] accumulated into [C, OH, OW] (the adjoint of im2col, for ConvTranspose)
    public static func col2im(_ cols: UnsafePointer<Float>, channels: Int, _ g: ConvGeometry, _ dst: UnsafeMutablePointer<Float>) {
        // Here g.inH/inW are the *output* image size and g.outH/outW the column grid (the transposed input).
        let n = g.outH * g.outW
        var row = 0
        for c in 0..<channels {
            let plane = dst + c * g.inH * g.inW
            for ky in 0..<g.kH {
                for kx in 0..<g.kW {
                    let col = cols + row * n
                    for oy in 0..<g.outH {
                        let iy = oy * g.strideH - g.padTop + ky * g.dilH
                        if iy < 0 || iy >= g.inH { continue }
                        for ox in 0..<g.outW {
                            let ix = ox * g.strideW - g.padLeft + kx * g.dilW
                            if ix >= 0 && ix < g.inW { plane[iy * g.inW + ix] += col[oy * g.outW + ox] }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}
