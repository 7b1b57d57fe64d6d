/// 2-D max and average pooling over planes: x [planes, inH, inW] -> y [planes, outH, outW]. The window
/// geometry is a `ConvGeometry` (kH, kW, strides, dilations, top/left pads); `padBottom`/`padRight` only
/// matter for count_include_pad. Row by row with the window's in-image column range precomputed per kx,
/// so the inner loops have no bounds tests.
public enum Pool2D {
    public enum Kind: Sendable { case max, average(countIncludePad: Bool) }

    public static func run(_ kind: Kind, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, planes: Int,
                           _ g: ConvGeometry, padBottom: Int, padRight: Int, threads: Int)
    {
        // Divisors of an average pool depend only on (oy, ox): computed once for all planes.
        var divisors: [Float] = []
        if case .average(let includePad) = kind {
            let rows = (0..<g.outH).map { count(g.kH, $0 * g.strideH - g.padTop, g.dilH, includePad ? -g.padTop : 0,
                                                includePad ? g.inH + padBottom : g.inH) }
            let cols = (0..<g.outW).map { count(g.kW, $0 * g.strideW - g.padLeft, g.dilW, includePad ? -g.padLeft : 0,
                                                includePad ? g.inW + padRight : g.inW) }
            divisors = rows.flatMap { r in cols.map { c in Float(r * c) } }
        }
        let chunk = max(1, planes / (4 * max(1, threads)))
        divisors.withUnsafeBufferPointer { dv in
            Parallel.run(tasks: (planes + chunk - 1) / chunk, threads: threads) { task, _ in
                for p in (task * chunk)..<min(planes, (task + 1) * chunk) {
                    plane(kind, x + p * g.inH * g.inW, y + p * g.outH * g.outW, g, dv.isEmpty ? nil : dv.baseAddress)
                }
            }
        }
    }

    // Window taps k with lo <= start + k·dil < hi.
    private static func count(_ k: Int, _ start: Int, _ dil: Int, _ lo: Int, _ hi: Int) -> Int {
        (0..<k).reduce(0) { n, i in let v = start + i * dil; return n + (v >= lo && v < hi ? 1 : 0) }
    }

    private static func plane(_ kind: Kind, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                              _ g: ConvGeometry, _ divisors: UnsafePointer<Float>?)
    {
        let isMax: Bool
        if case .max = kind { isMax = true } else { isMax = false }
        for oy in 0..<g.outH {
            let o = y + oy * g.outW
            o.update(repeating: isMax ? -.infinity : 0, count: g.outW)
            for ky in 0..<g.kH {
                let iy = oy * g.strideH - g.padTop + ky * g.dilH
                if iy < 0 || iy >= g.inH { continue }
                let line = x + iy * g.inW
                for kx in 0..<g.kW {
                    let x0 = kx * g.dilW - g.padLeft, s = g.strideW
                    let (lo, hi) = g.insideColumns(kx)
                    if isMax {
                        for ox in lo..<hi { o[ox] = max(o[ox], line[ox * s + x0]) }
                    } else {
                        for ox in lo..<hi { o[ox] += line[ox * s + x0] }
                    }
                }
            }
            if let d = divisors {
                let dr = d + oy * g.outW
                for ox in 0..<g.outW { o[ox] = dr[ox] > 0 ? o[ox] / dr[ox] : 0 }
            }
        }
    }
}
