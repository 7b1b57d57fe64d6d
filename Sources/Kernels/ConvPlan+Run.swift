internal import KernelsAVX2

extension ConvPlan {
    /// Runs the convolution on `images` images, then bias, residual and activation per tile.
    /// x [N, C, inH, inW], w [M, C/groups, kH, kW], bias [M]?, residual [N, M, outH, outW]?, y [N, M, outH, outW].
    /// `prepared`: `prepareWeights(w)`, made once per plan (made here when nil and the algorithm needs it).
    public func run(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                    residual: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, images: Int,
                    activation: Activation, threads: Int, prepared: UnsafePointer<Float>? = nil)
    {
        if prepared == nil, needsPreparedWeights {
            prepareWeights(w).withUnsafeBufferPointer {
                run(x: x, w: w, bias: bias, residual: residual, y: y, images: images, activation: activation,
                    threads: threads, prepared: $0.baseAddress!)
            }
            return
        }
        switch algorithm {
        case .winogradF2:
            return Winograd.run(WinogradF2.self, shape, x: x, u: prepared!, bias: bias, residual: residual, y: y,
                                images: images, activation: activation, threads: threads)
        case .winogradF4:
            return Winograd.run(WinogradF4.self, shape, x: x, u: prepared!, bias: bias, residual: residual, y: y,
                                images: images, activation: activation, threads: threads)
        default: break
        }
        let perImage = tasksPerImage, tasks = images * perImage
        // Per-worker scratch, 80 floats (5 cache lines) of skew apart so workers' panels and the tensors
        // do not share low address bits (the arena skews its tensors the same way).
        let scratch = scratchFloats + 80, workers = max(1, min(threads, tasks))
        // im2col writes every element of its panel: no zeroing.
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, scratch * workers))
        // Which (image, group, tile) each worker's panel holds: channel chunks of one tile share it.
        let held = UnsafeMutablePointer<Int>.allocate(capacity: workers)
        held.initialize(repeating: -1, count: workers)
        defer { buffer.deallocate(); held.deallocate() }
        if algorithm.readsPhasePlanes(shape) {
            // One image padded at a time, then its tasks: the padded copy is still in cache when read, and
            // a batch never needs a padded copy of the whole batch (68 MB for a U-Net layer at batch 8).
            let planes = PhasePlanes(self)
            let padded = allocatePadded(planes)
            defer { padded.deallocate() }
            for img in 0..<images {
                pad(x + img * shape.channels * shape.geometry.inH * shape.geometry.inW, into: padded, planes, threads: threads)
                Parallel.run(tasks: perImage, threads: min(workers, perImage)) { t, worker in
                    gemmTile(x: padded, w: w, packed: prepared, planes: planes, bias: bias, residual: residual, y: y,
                             image: img, task: t, panel: buffer + worker * scratch, held: held + worker, activation)
                }
            }
            return
        }
        Parallel.run(tasks: tasks, threads: workers) { task, worker in
            let img = task / perImage, t = task % perImage
            if algorithm == .depthwiseDirect {
                depthwise(x: x, w: w, bias: bias, residual: residual, y: y, image: img, channel: t, activation)
            } else {
                gemmTile(x: x, w: w, packed: prepared, planes: nil, bias: bias, residual: residual, y: y, image: img,
                         task: t, panel: buffer + worker * scratch, held: held + worker, activation)
            }
        }
    }

    // One task: output channels [ch0, ch0+mc) × output rows [oy0, oy1) of one group of one image.
    // For `.directPacked`, x is this image's padded input (`pad`) laid out as `planes`.
    private func gemmTile(x: UnsafePointer<Float>, w: UnsafePointer<Float>, packed: UnsafePointer<Float>?,
                          planes: PhasePlanes?, bias: UnsafePointer<Float>?,
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
        let out = (image * shape.outChannels + ch0) * pixels + p0
        // Channel chunks of one tile share the worker's im2col panel.
        let key = image * rowTiles * shape.groups + task / chunks
        let panelReady = held.pointee == key
        held.pointee = key
        // The packed GEMM applies bias, residual and ReLU in its last stores, while the tile is in registers;
        // other activations (and the OpenBLAS paths) take the separate epilogue pass.
        let fuses = (algorithm == .pointwisePacked || algorithm == .im2colPacked || algorithm == .pixelPacked)
            && (activation == .none || activation == .relu)
        let fused = fuses ? PackedGEMM.Fused(bias: bias.map { $0 + ch0 }, residual: residual.map { $0 + out }, ldr: pixels,
                                             relu: activation == .relu) : .none
        // [mc, K] · [K, np] -> y[ch0..., p0...] with row stride `pixels`
        switch algorithm {
        case .pointwiseGEMM:
            GEMM.sgemm(m: mc, n: np, k: k, a: w + ch0 * k, lda: k, b: xg + p0, ldb: pixels, c: y + out, ldc: pixels)
        case .im2colGEMM:
            if !panelReady { Im2col.run(xg, channels: shape.cpg, g, panel, rows: oy0..<oy1) }  // [K, np]
            GEMM.sgemm(m: mc, n: np, k: k, a: w + ch0 * k, lda: k, b: panel, ldb: np, c: y + out, ldc: pixels)
        case .pointwisePacked:
            // B is the input planes, read in place: 16 pixels of a channel are one strip row.
            var zero = 0
            PackedGEMM.multiplyShifted(m: mc, n: np, channels: k, offsets: &zero, taps: 1, plane: pixels,
                                       packedA: packedWeights(packed!, grp, chunk), x: xg + p0, c: y + out, ldc: pixels,
                                       readable: k * pixels - p0, fused: fused)
        case .directPacked:
            // Output pixel (oy, ox) is column (oy - oy0) · Wq + ox; the Wq - outW columns past each row are dropped.
            let planes = planes!, wp = phaseWidth, plane = planes.channelPlane, nq = (oy1 - oy0 - 1) * wp + g.outW
            let xp = x + grp * shape.cpg * plane + oy0 * wp
            planes.offsets.withUnsafeBufferPointer { off in
                PackedGEMM.multiplyShifted(m: mc, n: nq, channels: shape.cpg, offsets: off.baseAddress!, taps: off.count,
                                           plane: plane, packedA: packedWeights(packed!, grp, chunk), x: xp, c: panel, ldc: nq)
            }
            for r in 0..<mc {
                for oy in oy0..<oy1 {
                    (y + out + r * pixels + (oy - oy0) * g.outW).update(from: panel + r * nq + (oy - oy0) * wp, count: g.outW)
                }
            }
        case .pixelPacked:
            // Output pixel p0 + j reads its window from x + sources[j] (the input itself for a 1×1, else the padded
            // planes: (oy, ox) at oy · Wq + ox); step (c, tap) is c's plane plus the tap's offset.
            let sources = UnsafeMutablePointer<Int>.allocate(capacity: np + k)
            defer { sources.deallocate() }
            let steps = sources + np
            let xp: UnsafePointer<Float>
            if let planes {
                xp = x + grp * shape.cpg * planes.channelPlane
                for j in 0..<np { sources[j] = (oy0 + j / g.outW) * phaseWidth + j % g.outW }
                planes.offsets.withUnsafeBufferPointer { off in
                    let taps = off.count
                    for i in 0..<k { steps[i] = i / taps * planes.channelPlane + off[i % taps] }
                }
            } else {
                xp = xg
                for j in 0..<np { sources[j] = p0 + j }
                for i in 0..<k { steps[i] = i * pixels }
            }
            PackedGEMM.multiplyPixels(m: mc, n: np, k: k, strips: packedWeights(packed!, grp, chunk), x: xp,
                                      sources: sources, steps: steps, y: y + out, ldy: pixels, fused: fused)
        default:  // .im2colPacked
            if !panelReady { Im2col.runPacked(xg, channels: shape.cpg, g, panel, rows: oy0..<oy1) }  // [np/16][K][16]
            PackedGEMM.multiply(m: mc, n: np, k: k, packedA: packedWeights(packed!, grp, chunk), packedB: panel,
                                c: y + out, ldc: pixels, fused: fused)
        }
        if fuses { return }
        Epilogue.apply(y + out, ldy: pixels, rows: mc, cols: np, bias: bias.map { $0 + ch0 },
                       residual: residual.map { $0 + out }, ldr: pixels, activation)
    }

    /// The padded input as `.directPacked` reads it, derived once per run: the phase planes of each channel
    /// and where each kernel tap is in them.
    struct PhasePlanes {
        /// The phases (row phase a < sH, column phase b < sW) some kernel tap reads, in (a, b) order: only
        /// these are copied (a 1×1 stride-2 convolution reads one of four).
        let phases: [(Int, Int)]
        /// Floats of one phase plane [Hq × Wq], and of one channel's planes [phases][Hq][Wq].
        let phasePlane: Int, channelPlane: Int
        /// Element offset of each kernel tap (ky, kx) in a channel's planes, relative to the output pixel's
        /// column: output (oy, ox) reads padded (oy·sH + ky·dilH, ox·sW + kx·dilW), which is phase
        /// (ky·dilH mod sH, kx·dilW mod sW) at (oy + ky·dilH / sH, ox + kx·dilW / sW).
        let offsets: [Int]

        init(_ plan: ConvPlan) {
            let g = plan.shape.geometry, wq = plan.phaseWidth
            let rows = Set((0..<g.kH).map { $0 * g.dilH % g.strideH }), cols = Set((0..<g.kW).map { $0 * g.dilW % g.strideW })
            let phases = rows.sorted().flatMap { a in cols.sorted().map { b in (a, b) } }
            let phasePlane = plan.phaseHeight * wq
            self.phases = phases
            self.phasePlane = phasePlane
            channelPlane = phases.count * phasePlane
            offsets = (0..<(g.kH * g.kW)).map { t in
                let dy = t / g.kW * g.dilH, dx = t % g.kW * g.dilW
                let phase = phases.firstIndex { $0 == (dy % g.strideH, dx % g.strideW) }!
                return phase * phasePlane + dy / g.strideH * wq + dx / g.strideW
            }
        }
    }

    /// A buffer for one image's padded input in phases [C, phases, Hq, Wq], with zeroed slack for the reads
    /// past the last plane's end (`PackedGEMM.multiplyShifted`).
    private func allocatePadded(_ planes: PhasePlanes) -> UnsafeMutablePointer<Float> {
        let total = shape.channels * planes.channelPlane, slack = PackedGEMM.nr + phaseWidth
        let p = UnsafeMutablePointer<Float>.allocate(capacity: total + slack)
        (p + total).initialize(repeating: 0, count: slack)
        return p
    }

    /// x [C, inH, inW] (one image) copied into [C, phases, Hq, Wq]: phase (a, b) row i, column j is the padded
    /// input's (i·sH + a, j·sW + b), zero in the pads and past the padded input (input no window reads is dropped).
    private func pad(_ x: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>, _ planes: PhasePlanes, threads: Int) {
        let g = shape.geometry, hq = phaseHeight, wq = phaseWidth, sh = g.strideH, sw = g.strideW
        let phasePlane = planes.phasePlane, plane = planes.channelPlane
        Parallel.run(tasks: shape.channels, threads: min(threads, max(1, shape.channels * plane / 65536))) { c, _ in
            let src = x + c * g.inH * g.inW
            for (f, (a, b)) in planes.phases.enumerated() {
                let dst = p + c * plane + f * phasePlane
                // Columns [lo, hi) of a phase row come from the input row (j·sW + b - padLeft inside [0, inW)).
                let first = b - g.padLeft
                let lo = min(wq, max(0, (-first + sw - 1) / sw)), hi = max(lo, min(wq, (g.inW - first + sw - 1) / sw))
                for i in 0..<hq {
                    let iy = i * sh + a - g.padTop, row = dst + i * wq
                    guard iy >= 0, iy < g.inH else {
                        row.initialize(repeating: 0, count: wq)
                        continue
                    }
                    let line = src + iy * g.inW + first
                    row.initialize(repeating: 0, count: lo)
                    if sw == 1 {
                        (row + lo).initialize(from: line + lo, count: hi - lo)
                    } else {
                        for j in lo..<hi { (row + j).initialize(to: line[j * sw]) }
                    }
                    (row + hi).initialize(repeating: 0, count: wq - hi)
                }
            }
        }
    }

    private func packedWeights(_ packed: UnsafePointer<Float>, _ group: Int, _ chunk: Int) -> UnsafePointer<Float> {
        packed + (group * chunks + chunk) * packedChunkFloats
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
