extension ConvPlan {
    /// Runs the convolution on `images` images, then bias, residual and activation per tile.
    /// x [N, C, inH, inW], w [M, C/groups, kH, kW], bias [M]?, residual [N, M, outH, outW]?, y [N, M, outH, outW].
    /// `winogradWeights`: `Winograd.transformWeights(w)`, required for `.winogradF2` (prepared once per plan).
    public func run(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                    residual: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, images: Int,
                    activation: Activation, threads: Int, winogradWeights: UnsafePointer<Float>? = nil)
    {
        if algorithm == .winogradF2 {
            guard let u = winogradWeights else {
                let u = Winograd.transformWeights(w, outChannels: shape.outChannels, channels: shape.channels)
                u.withUnsafeBufferPointer {
                    run(x: x, w: w, bias: bias, residual: residual, y: y, images: images, activation: activation,
                        threads: threads, winogradWeights: $0.baseAddress!)
                }
                return
            }
            Winograd.run(shape, x: x, u: u, bias: bias, residual: residual, y: y, images: images, activation: activation,
                         threads: threads)
            return
        }
        let perImage = tasksPerImage, tasks = images * perImage
        let scratch = scratchFloats, workers = max(1, min(threads, tasks))
        // im2col writes every element of its panel: no zeroing.
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, scratch * workers))
        // Which (image, group, tile) each worker's panel holds: channel chunks of one tile share it.
        let held = UnsafeMutablePointer<Int>.allocate(capacity: workers)
        held.initialize(repeating: -1, count: workers)
        defer { buffer.deallocate(); held.deallocate() }
        Parallel.run(tasks: tasks, threads: workers) { task, worker in
            let img = task / perImage, t = task % perImage
            if algorithm == .depthwiseDirect {
                depthwise(x: x, w: w, bias: bias, residual: residual, y: y, image: img, channel: t, activation)
            } else {
                gemmTile(x: x, w: w, bias: bias, residual: residual, y: y, image: img, task: t,
                         panel: buffer + worker * scratch, held: held + worker, activation)
            }
        }
    }

    // One task: output channels [ch0, ch0+mc) × output rows [oy0, oy1) of one group of one image.
    private func gemmTile(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          residual: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, image: Int, task: Int,
                          panel: UnsafeMutablePointer<Float>, held: UnsafeMutablePointer<Int>, _ activation: Activation)
    {
        let g = shape.geometry, pixels = shape.pixels, k = shape.depth
        let grp = task / (chunks * rowTiles), tile = task / chunks % rowTiles, chunk = task % chunks
        let oy0 = tile * rowsPerTile, oy1 = min(g.outH, oy0 + rowsPerTile)
        let p0 = oy0 * g.outW, np = (oy1 - oy0) * g.outW
        let m0 = chunk * channelsPerChunk, mc = min(shape.mpg - m0, channelsPerChunk)
        let ch0 = grp * shape.mpg + m0
        let xg = x + (image * shape.channels + grp * shape.cpg) * g.inH * g.inW
        let b: UnsafePointer<Float>, ldb: Int
        if algorithm == .pointwiseGEMM {
            (b, ldb) = (xg + p0, pixels)
        } else {
            let key = image * rowTiles * shape.groups + task / chunks
            if held.pointee != key {
                Im2col.run(xg, channels: shape.cpg, g, panel, rows: oy0..<oy1)  // [K, np]
                held.pointee = key
            }
            (b, ldb) = (UnsafePointer(panel), np)
        }
        let out = (image * shape.outChannels + ch0) * pixels + p0
        // [mc, K] · [K, np] -> y[ch0..., p0...] with row stride `pixels`
        GEMM.sgemm(m: mc, n: np, k: k, a: w + ch0 * k, lda: k, b: b, ldb: ldb, c: y + out, ldc: pixels)
        Epilogue.apply(y + out, ldy: pixels, rows: mc, cols: np, bias: bias.map { $0 + ch0 },
                       residual: residual.map { $0 + out }, ldr: pixels, activation)
    }

    // One output plane of a depthwise conv: y[m] = Σ_{ky,kx} w[m, 0, ky, kx] · x[m / (M/groups)] shifted.
    private func depthwise(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                           residual: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, image: Int, channel m: Int,
                           _ activation: Activation)
    {
        let g = shape.geometry, pixels = shape.pixels
        let plane = x + (image * shape.channels + m / shape.mpg) * g.inH * g.inW
        let wm = w + m * g.kH * g.kW
        let out = y + (image * shape.outChannels + m) * pixels
        out.update(repeating: 0, count: pixels)
        for oy in 0..<g.outH {
            let o = out + oy * g.outW
            for ky in 0..<g.kH {
                let iy = oy * g.strideH - g.padTop + ky * g.dilH
                if iy < 0 || iy >= g.inH { continue }
                let line = plane + iy * g.inW
                for kx in 0..<g.kW {
                    let wv = wm[ky * g.kW + kx], x0 = kx * g.dilW - g.padLeft
                    let (lo, hi) = g.insideColumns(kx)
                    if g.strideW == 1 {
                        let l = line + x0
                        for ox in lo..<hi { o[ox] += wv * l[ox] }
                    } else {
                        for ox in lo..<hi { o[ox] += wv * line[ox * g.strideW + x0] }
                    }
                }
            }
        }
        let r = (image * shape.outChannels + m) * pixels
        Epilogue.apply(out, ldy: pixels, rows: 1, cols: pixels, bias: bias.map { $0 + m },
                       residual: residual.map { $0 + r }, ldr: pixels, activation)
    }
}
