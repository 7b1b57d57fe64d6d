/// The slow, obviously correct twin of the conv path: direct 7-loop convolution.
public enum NaiveConv {
    // conv: x [C, H, W], w [M, C/groups, KH, KW], bias [M] -> y [M, OH, OW]
    public static func run(x: [Float], channels: Int, w: [Float], bias: [Float]?, outChannels: Int, groups: Int,
                           _ g: ConvGeometry) -> [Float]
    {
        var y = [Float](repeating: 0, count: outChannels * g.outH * g.outW)
        let cpg = channels / groups, mpg = outChannels / groups
        for m in 0..<outChannels {
            let grp = m / mpg
            for oy in 0..<g.outH {
                for ox in 0..<g.outW {
                    var s: Float = bias?[m] ?? 0
                    for c in 0..<cpg {
                        for ky in 0..<g.kH {
                            let iy = oy * g.strideH - g.padTop + ky * g.dilH
                            if iy < 0 || iy >= g.inH { continue }
                            for kx in 0..<g.kW {
                                let ix = ox * g.strideW - g.padLeft + kx * g.dilW
                                if ix < 0 || ix >= g.inW { continue }
                                s += x[((grp * cpg + c) * g.inH + iy) * g.inW + ix] * w[((m * cpg + c) * g.kH + ky) * g.kW + kx]
                            }
                        }
                    }
                    y[(m * g.outH + oy) * g.outW + ox] = s
                }
            }
        }
        return y
    }
}
