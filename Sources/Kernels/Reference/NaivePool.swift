/// The slow, obviously correct twin of `Pool2D`: every window cell tested against the image bounds.
public enum NaivePool {
    // pool: x [planes, inH, inW] -> y [planes, outH, outW]
    public static func run(_ kind: Pool2D.Kind, x: [Float], planes: Int, _ g: ConvGeometry, padBottom: Int,
                           padRight: Int) -> [Float]
    {
        var y = [Float](repeating: 0, count: planes * g.outH * g.outW)
        for p in 0..<planes {
            for oy in 0..<g.outH {
                for ox in 0..<g.outW {
                    var acc: Float = 0, best = -Float.infinity
                    var count = 0, padded = 0
                    for ky in 0..<g.kH {
                        let iy = oy * g.strideH - g.padTop + ky * g.dilH
                        for kx in 0..<g.kW {
                            let ix = ox * g.strideW - g.padLeft + kx * g.dilW
                            guard iy >= 0, iy < g.inH, ix >= 0, ix < g.inW else {
                                // Padding cells inside the padded extent count for count_include_pad.
                                if iy < g.inH + padBottom && ix < g.inW + padRight { padded += 1 }
                                continue
                            }
                            let v = x[(p * g.inH + iy) * g.inW + ix]
                            best = max(best, v)
                            acc += v
                            count += 1
                        }
                    }
                    let out: Float
                    switch kind {
                    case .max: out = best
                    case .average(let includePad):
                        let d = includePad ? count + padded : count
                        out = d > 0 ? acc / Float(d) : 0
                    }
                    y[(p * g.outH + oy) * g.outW + ox] = out
                }
            }
        }
        return y
    }
}
