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
        forEachRow(src, channels: channels, g, oys) { row, write in write(dst + row * cols) }
    }

    /// Floats `runPacked` writes: K rows of `pixels` columns, in strips of 16 (the last zero-padded).
    public static func packedCount(depth: Int, pixels: Int) -> Int { (pixels + 15) / 16 * 16 * depth }

    // im2col into GEMM strips: [C, H, W] -> [⌈P/16⌉][C*KH*KW][16] (P = R*OW pixels of the output rows `rows`),
    // strip s holding pixels 16s..<16s+16, the last one zero-padded: PackedGEMM's B layout.
    public static func runPacked(_ src: UnsafePointer<Float>, channels: Int, _ g: ConvGeometry,
                                 _ dst: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        let cols = rows.count * g.outW, depth = channels * g.kH * g.kW
        let full = cols / 16, rest = cols - full * 16
        withUnsafeTemporaryAllocation(of: Float.self, capacity: cols) { line in
            let l = line.baseAddress!
            forEachRow(src, channels: channels, g, rows) { row, write in
                write(l)
                for s in 0..<full { copy(l + s * 16, to: dst + (s * depth + row) * 16, 16) }
                if rest > 0 {
                    let o = dst + (full * depth + row) * 16
                    copy(l + full * 16, to: o, rest)
                    fill(o + rest, 16 - rest)
                }
            }
        }
    }

    // Rows of 7-56 pixels make memmove/memset calls cost more than the copies: inline loops up to 64.
    @inline(__always)
    private static func copy(_ from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, _ n: Int) {
        if n > 64 { to.update(from: from, count: n) } else { for i in 0..<n { to[i] = from[i] } }
    }
    @inline(__always)
    private static func fill(_ to: UnsafeMutablePointer<Float>, _ n: Int) {
        if n > 64 { to.update(repeating: 0, count: n) } else { for i in 0..<n { to[i] = 0 } }
    }

    // Calls body(k, write) for each im2col row k = (c, ky, kx); write(out) writes that row's R*OW values.
    @inline(__always)
    private static func forEachRow(_ src: UnsafePointer<Float>, channels: Int, _ g: ConvGeometry, _ oys: Range<Int>,
                                   _ body: (Int, (UnsafeMutablePointer<Float>) -> Void) -> Void) {
        var row = 0
        for c in 0..<channels {
            let plane = src + c * g.inH * g.inW
            for ky in 0..<g.kH {
                for kx in 0..<g.kW {
                    let x0 = kx * g.dilW - g.padLeft
                    let (lo, hi) = g.insideColumns(kx)
                    body(row) { out in
                        for oy in oys {
                            let iy = oy * g.strideH - g.padTop + ky * g.dilH
                            let o = out + (oy - oys.lowerBound) * g.outW
                            if iy < 0 || iy >= g.inH {
                                fill(o, g.outW)
                                continue
                            }
                            let line = plane + iy * g.inW + x0
                            fill(o, lo)
                            if g.strideW == 1 {
                                copy(line + lo, to: o + lo, hi - lo)  // interior: one copy
                            } else {
                                for ox in lo..<hi { o[ox] = line[ox * g.strideW] }
                            }
                            fill(o + hi, g.outW - hi)
                        }
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
