internal import KernelsAVX2

/// How one convolution is computed.
public enum ConvAlgorithm: String, Sendable, CaseIterable {
    /// 1×1, stride 1, no padding: the input planes are already the GEMM's B matrix (no copy).
    case pointwiseGEMM
    /// Panel-wise im2col into a per-worker buffer, then sgemm, tile by tile of output rows.
    case im2colGEMM
    /// One input channel per output channel (depthwise): a direct loop, GEMM would have K = KH·KW.
    case depthwiseDirect
    /// 3×3, stride 1, one group: Winograd F(2×2, 3×3), 16 GEMMs on transformed tiles (`Winograd`).
    case winogradF2
    /// The same with F(4×4, 3×3): 36 GEMMs on the packed GEMM, 1.78× fewer multiplies than F(2×2, 3×3).
    /// Only on CPUs with AVX2 and FMA.
    case winogradF4
    /// As `pointwiseGEMM` and `im2colGEMM`, with the engine's own AVX2 GEMM on weights packed once per plan
    /// (`PackedGEMM`, bias, residual and ReLU fused into its stores) instead of OpenBLAS. Only on CPUs with AVX2
    /// and FMA. `init` chooses `pointwisePacked` for 1×1 layers with many pixels, never `im2colPacked` (OpenBLAS
    /// measured faster on strided layers on this machine); both are forced in tests.
    case pointwisePacked
    case im2colPacked
    /// The packed GEMM reads B straight from the zero-padded input (`PackedGEMM.multiplyShifted`), no im2col.
    /// With stride s the padded input is first split into its s × s phases (`PhasePlanes`), so every kernel tap
    /// is again a fixed offset from the output pixel's column. Only on CPUs with AVX2 and FMA.
    case directPacked
    /// The packed GEMM transposed (`PackedGEMM.multiplyPixels`): 6 output pixels × 16 output channels per
    /// micro-tile, the weights packed in strips of 16 channels. A 1×1 layer reads its input in place, others
    /// the padded phase planes as `directPacked`. No columns past the row ends and no 6-row panels on 16-channel
    /// multiples: what small layers (7×7, 32 output channels) waste on the other paths. Only on CPUs with AVX2
    /// and FMA.
    case pixelPacked

    /// The same computation on OpenBLAS.
    public var unpacked: ConvAlgorithm {
        switch self {
        case .pointwisePacked: return .pointwiseGEMM
        case .im2colPacked, .directPacked, .pixelPacked: return .im2colGEMM
        default: return self
        }
    }
    var isPacked: Bool { self == .pointwisePacked || self == .im2colPacked || self == .directPacked || self == .pixelPacked }
    /// Whether the algorithm reads the zero-padded input in phase planes (`ConvPlan.PhasePlanes`).
    func readsPhasePlanes(_ shape: ConvShape) -> Bool { self == .directPacked || (self == .pixelPacked && !shape.isPointwise) }
    var isWinograd: Bool { self == .winogradF2 || self == .winogradF4 }
}

/// A 2-D convolution's sizes: x [C, inH, inW] per image, w [M, C/groups, kH, kW], y [M, outH, outW].
public struct ConvShape: Sendable, Equatable {
    public var channels: Int, outChannels: Int, groups: Int
    public var geometry: ConvGeometry
    public init(channels: Int, outChannels: Int, groups: Int, geometry: ConvGeometry) {
        self.channels = channels; self.outChannels = outChannels; self.groups = groups; self.geometry = geometry
    }
    var cpg: Int { channels / groups }
    var mpg: Int { outChannels / groups }
    /// GEMM depth: C/groups · kH · kW.
    var depth: Int { cpg * geometry.kH * geometry.kW }
    var pixels: Int { geometry.outH * geometry.outW }
    var isWinogradShape: Bool {
        let g = geometry
        return groups == 1 && g.kH == 3 && g.kW == 3 && g.strideH == 1 && g.strideW == 1 && g.dilH == 1 && g.dilW == 1
    }
    var isPointwise: Bool {
        let g = geometry
        return g.kH == 1 && g.kW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 && g.padLeft == 0
            && g.outH == g.inH && g.outW == g.inW
    }
}

/// The algorithm and work split of one convolution. Work per image: groups × channel chunks × row tiles,
/// each an independent task. The split depends on the shape and the thread count, never on the batch
/// size: OpenBLAS's result for an element can change with the size of the call it is in (it has
/// small-matrix kernels), so an image's output is bit-identical however it is batched only because its
/// GEMM calls are the same.
public struct ConvPlan: Sendable, Equatable {
    public let shape: ConvShape
    public let algorithm: ConvAlgorithm
    /// Output rows per tile (a tile is a run of whole output rows).
    public let rowsPerTile: Int
    /// Output channels of a group per task.
    public let channelsPerChunk: Int

    /// Tiles above this many output pixels are split: OpenBLAS runs small-M × huge-N products (U-Net's
    /// 32-channel layers at 256²) at 47 GFLOP/s untiled and 82 in 4096-pixel tiles (bench RESULTS §3).
    public static let maxTilePixels = 4096
    /// ... and an im2col tile's panel (K × tile pixels floats) is kept to about the 1 MiB L2 of this Zen 4
    /// (tiles of at least 256 pixels): U-Net 1 thread 378 -> 347 ms, ResNet-18 and DenseNet-121 within noise.
    public static let panelBytes = 1 << 20
    /// With several threads, a layer is split into about this many tasks per thread (an image may be the
    /// whole batch) so the last task does not leave a thread idle for long; 1×1 layers into one per thread:
    /// each further split re-reads all of A (and OpenBLAS re-packs B), which cost more than the balance
    /// gained (DenseNet-121 b1 2T, per-node minima of its 1×1 layers: 28² 4.60 -> 4.14 ms, 14² 5.0 -> 4.6 on
    /// OpenBLAS; ResNet-18 and the U-Nets 1-2 % slower with one task per thread everywhere) ...
    public static let tasksPerThread = 2
    /// ... and no task smaller than this many multiply-adds (~8 µs). 1 M -> 2 M measured 58.5 vs 61.3 ms for
    /// DenseNet-121 at batch 1 on 2 threads; 1 M -> 0.4 M splits its sixteen 7×7 3×3 layers (1.8 M) in two
    /// channel chunks: 0.93 -> 0.79 ms.
    public static let minTaskMultiplyAdds = 400_000
    /// Split limits: tiles of at least this many pixels, channel chunks of at least this many channels
    /// (multiples of it; OpenBLAS's register tile along M is 4-16).
    public static let minTilePixels = 128
    public static let channelQuantum = 16

    /// Winograd needs input and output channels enough for its 16 GEMMs (K = C, M = M) to run well in
    /// OpenBLAS and to outweigh the transforms: at 64 channels ResNet-18's first stage got slower (4.2 -> 5.7
    /// ms), at 128 and 256 faster (3.0 -> 2.2 and 3.5 -> 2.3 ms); ResNet-18 batch 1, 1 thread, 56 -> 51 ms.
    public static let winogradMinChannels = 128
    /// ... and enough output pixels for the GEMMs' N (tiles = pixels / 4): the 7×7 stage stays on im2col.
    public static let winogradMinPixels = 196
    /// Winograd F(4×4, 3×3) on the packed GEMM, where the CPU has AVX2 + FMA, takes over from both F(2×2)
    /// and the direct path with at least 64 input and 32 output channels and at least 16 tiles of 4×4 (one
    /// GEMM strip). Per-node minima, ResNet-18 b1 1T: 56×56×64 layers 2.6-3.4 -> 1.6-1.9 ms, 28×28×128
    /// 1.9-2.1 -> 1.2-1.3, 14×14×256 2.1 -> 1.2; its 7×7×512 layers (4 tiles, 36 U_ξ of 1 MiB each read
    /// for 4 columns) 4.5 -> 10 ms, hence the tile minimum. U-Net: 32 -> 32 channels at 256² even, 1 -> 32
    /// eleven times slower (the transforms dominate with one input channel), 64 -> 32 and up 0.5-0.7×.
    public static let winogradF4MinChannels = 64
    /// 1×1 convolutions with at least this many output pixels per image run on the packed GEMM (`init`).
    public static let pointwisePackedMinPixels = 784
    public static let winogradF4MinOutChannels = 32
    public static let winogradF4MinTiles = 16
    /// Strided convolutions with fewer input channels than this (per group) read the padded input's phase
    /// planes (`directPacked`) instead of im2col + OpenBLAS: the stems, whose im2col panel (K = C·49 = 147
    /// rows × all pixels) costs as much to write as the GEMM. ResNet-18's 7×7/2 stem (3 -> 64, 224²), b1 1T:
    /// 3.50-3.56 -> 2.82-2.90 ms minima (1 thread), 1.80-1.92 -> 1.51-1.87 (2 threads).
    public static let directStridedMaxChannels = 16
    /// Stride-1 layers with at most this many output pixels per image run on pixel panels (`pixelPacked`).
    public static let pixelPackedMaxPixels = 196

    /// Where pixel panels measured faster than the other paths (per-node minima, 1 thread): small stride-1
    /// layers (DenseNet-121's sixteen 7×7 3×3 layers 1.22 -> 0.91 ms, ResNet-18's 7×7×512 ones 3.6 -> 3.2-3.3 ms
    /// each) and strided k×k ones past the stems (ResNet-18's 3×3/2, on im2col + OpenBLAS before, 1.36-1.68 ->
    /// 1.24-1.40 ms). Larger stride-1 layers stay on the paths that keep pixels in vectors (directPacked,
    /// Winograd), strided 1×1 ones on im2col.
    static func prefersPixelPanels(_ shape: ConvShape) -> Bool {
        let g = shape.geometry
        if g.strideH == 1 && g.strideW == 1 { return shape.pixels <= pixelPackedMaxPixels }
        return shape.cpg >= directStridedMaxChannels && !(g.kH == 1 && g.kW == 1)
    }

    /// Whether `algorithm` can compute `shape`.
    public static func applicable(_ algorithm: ConvAlgorithm, _ shape: ConvShape) -> Bool {
        switch algorithm {
        case .im2colGEMM: return true
        case .pointwiseGEMM: return shape.isPointwise
        case .pointwisePacked, .im2colPacked: return CPUFeatures.avx2FMA && applicable(algorithm.unpacked, shape)
        case .directPacked, .pixelPacked: return CPUFeatures.avx2FMA
        case .depthwiseDirect: return shape.cpg == 1
        case .winogradF2: return shape.isWinogradShape
        case .winogradF4: return CPUFeatures.avx2FMA && shape.isWinogradShape
        }
    }

    /// The one place the algorithm is chosen: depthwise → direct, 3×3/s1 → Winograd where it pays, 1×1/s1 →
    /// GEMM on the input, small or strided layers → pixel panels, else direct or im2col + GEMM. `forcing`
    /// overrides the choice (tests run every applicable path); nil if not applicable.
    /// With `threads` > 1 the image is split into row tiles first (each re-packs the weights, small for the
    /// wide early layers), then into channel chunks (each re-packs its im2col panel, small for the deep ones).
    public init?(_ shape: ConvShape, forcing: ConvAlgorithm? = nil, threads: Int = 1) {
        let algorithm: ConvAlgorithm, g0 = shape.geometry
        if let f = forcing {
            guard ConvPlan.applicable(f, shape) else { return nil }
            algorithm = f
        } else if shape.cpg == 1 && shape.groups > 1 {
            algorithm = .depthwiseDirect  // GEMM with K = kH·kW and M = 1 per group would run at a few GFLOP/s
        } else if ConvPlan.applicable(.winogradF4, shape) && shape.channels >= ConvPlan.winogradF4MinChannels
                    && shape.outChannels >= ConvPlan.winogradF4MinOutChannels
                    && ((shape.geometry.outH + 3) / 4) * ((shape.geometry.outW + 3) / 4) >= ConvPlan.winogradF4MinTiles {
            algorithm = .winogradF4
        } else if shape.isWinogradShape && shape.channels >= ConvPlan.winogradMinChannels
                    && shape.outChannels >= ConvPlan.winogradMinChannels && shape.pixels >= ConvPlan.winogradMinPixels {
            algorithm = .winogradF2
        } else if shape.isPointwise {
            // The packed GEMM reading the input in place, with bias and ReLU in its stores, where it measured
            // faster than OpenBLAS plus the epilogue pass: DenseNet-121's 1×1 layers at 56² 5-8 % and at 28²
            // 0-5 % faster, at 14² 3-7 % and at 7² 12-20 % slower (N = 49 fills 4 strips of 16 columns).
            // Below that, pixel panels: at 14² 7 % faster than OpenBLAS, at 7² the same on one thread, and
            // their channel chunks on two threads share the input where OpenBLAS packs it once per chunk.
            if ConvPlan.applicable(.pointwisePacked, shape) && shape.pixels >= ConvPlan.pointwisePackedMinPixels {
                algorithm = .pointwisePacked
            } else {
                algorithm = ConvPlan.applicable(.pixelPacked, shape) ? .pixelPacked : .pointwiseGEMM
            }
        } else if ConvPlan.applicable(.pixelPacked, shape) && ConvPlan.prefersPixelPanels(shape) {
            algorithm = .pixelPacked
        } else if ConvPlan.applicable(.directPacked, shape)
                    && ((g0.strideH == 1 && g0.strideW == 1) || shape.cpg < ConvPlan.directStridedMaxChannels) {
            // No im2col: for 32-channel 3×3 layers the copy costs as much as the GEMM (DenseNet-121's 14×14
            // layer: im2col + packed GEMM 0.39 ms, direct 0.20 ms).
            algorithm = .directPacked
        } else {
            // Other strided convolutions stay on OpenBLAS: with im2col into packed strips ResNet-18's stride-2
            // layers ran 5-10 % slower on this Zen 3 (47.2 vs 48.9 ms for the model); on the phase planes
            // (`directPacked`) its 3×3/2 ones ran the same (64 and 128 channels) or 10 % slower (256), its 1×1/2
            // ones the same.
            algorithm = .im2colGEMM
        }
        let g = shape.geometry, pixels = shape.pixels
        if algorithm == .depthwiseDirect || algorithm.isWinograd {
            self.init(shape, algorithm, rowsPerTile: g.outH, channelsPerChunk: 1)
            return
        }
        let macsPerGroup = shape.mpg * pixels * shape.depth
        let perThread = shape.isPointwise ? 1 : ConvPlan.tasksPerThread
        let wanted = threads <= 1 ? 1 : min(perThread * threads, macsPerGroup / ConvPlan.minTaskMultiplyAdds)
        let tilePixels = algorithm.unpacked == .im2colGEMM && algorithm != .pixelPacked
            ? min(ConvPlan.maxTilePixels, max(256, ConvPlan.panelBytes / (4 * shape.depth))) : ConvPlan.maxTilePixels
        let tiles = max((pixels + tilePixels - 1) / tilePixels,
                        min(wanted, g.outH, pixels / ConvPlan.minTilePixels))
        let rows = max(1, (g.outH + tiles - 1) / tiles)
        let realTiles = (g.outH + rows - 1) / rows
        let q = ConvPlan.channelQuantum
        let chunks = max(1, min(wanted / realTiles, shape.mpg / q))
        self.init(shape, algorithm, rowsPerTile: rows,
                  channelsPerChunk: chunks == 1 ? shape.mpg : (shape.mpg / chunks + q - 1) / q * q)
    }

    /// A given split (tests force tiles and chunks on small shapes).
    public init(_ shape: ConvShape, _ algorithm: ConvAlgorithm, rowsPerTile: Int, channelsPerChunk: Int) {
        precondition(ConvPlan.applicable(algorithm, shape) && rowsPerTile >= 1 && channelsPerChunk >= 1)
        self.shape = shape
        self.algorithm = algorithm
        self.rowsPerTile = min(rowsPerTile, shape.geometry.outH)
        self.channelsPerChunk = algorithm == .depthwiseDirect || algorithm.isWinograd ? 1 : min(channelsPerChunk, shape.mpg)
    }

    var rowTiles: Int { (shape.geometry.outH + rowsPerTile - 1) / rowsPerTile }
    var chunks: Int { (shape.mpg + channelsPerChunk - 1) / channelsPerChunk }
    /// Independent tasks per image.
    public var tasksPerImage: Int {
        switch algorithm {
        case .depthwiseDirect: return shape.outChannels
        case .winogradF2, .winogradF4: return 1  // Winograd.run splits its own phases
        default: return shape.groups * chunks * rowTiles
        }
    }
    /// Floats of scratch each worker needs: the im2col panel of one tile (in GEMM strips for the packed GEMM),
    /// or the packed GEMM's B block.
    public var scratchFloats: Int {
        switch algorithm {
        case .im2colGEMM: return shape.depth * rowsPerTile * shape.geometry.outW
        case .im2colPacked: return Im2col.packedCount(depth: shape.depth, pixels: rowsPerTile * shape.geometry.outW)
        case .directPacked: return channelsPerChunk * rowsPerTile * phaseWidth
        default: return 0
        }
    }

    /// The zero-padded input `.directPacked` reads: exactly the rows and columns the windows cover.
    var paddedHeight: Int { (shape.geometry.outH - 1) * shape.geometry.strideH + (shape.geometry.kH - 1) * shape.geometry.dilH + 1 }
    var paddedWidth: Int { (shape.geometry.outW - 1) * shape.geometry.strideW + (shape.geometry.kW - 1) * shape.geometry.dilW + 1 }
    /// One phase plane of the padded input [Hq, Wq]: phase (a, b) holds padded rows a, a + sH, ... and
    /// columns b, b + sW, ... (stride 1: the padded input itself).
    var phaseHeight: Int { (paddedHeight + shape.geometry.strideH - 1) / shape.geometry.strideH }
    var phaseWidth: Int { (paddedWidth + shape.geometry.strideW - 1) / shape.geometry.strideW }

    /// Floats of packed weights per (group, channel chunk): each chunk starts a new panel of `PackedGEMM.mr` rows.
    var packedChunkFloats: Int {
        algorithm == .pixelPacked ? PackedGEMM.stripsCount(m: channelsPerChunk, k: shape.depth)
            : PackedGEMM.packedCount(m: channelsPerChunk, k: shape.depth)
    }

    /// Whether `algorithm` reads its weights through `prepareWeights` rather than as given.
    public var needsPreparedWeights: Bool { algorithm.isWinograd || algorithm.isPacked }

    /// The weights in the form `algorithm` reads them, made once per plan and passed to `run`: the Winograd
    /// transform, or the packed GEMM panels per group and channel chunk. Empty when the raw weights serve.
    /// w [M, C/groups, kH, kW].
    public func prepareWeights(_ w: UnsafePointer<Float>) -> [Float] {
        switch algorithm {
        case .winogradF2:
            return Winograd.transformWeights(WinogradF2.self, w, outChannels: shape.outChannels, channels: shape.channels)
        case .winogradF4:
            return Winograd.transformWeights(WinogradF4.self, w, outChannels: shape.outChannels, channels: shape.channels)
        case .pointwisePacked, .im2colPacked, .directPacked, .pixelPacked:
            let k = shape.depth, per = packedChunkFloats, strips = algorithm == .pixelPacked
            return [Float](unsafeUninitializedCapacity: shape.groups * chunks * per) { buf, count in
                for grp in 0..<shape.groups {
                    for chunk in 0..<chunks {
                        let m0 = chunk * channelsPerChunk, mc = min(shape.mpg - m0, channelsPerChunk)
                        let dst = buf.baseAddress! + (grp * chunks + chunk) * per
                        let src = w + (grp * shape.mpg + m0) * k
                        if strips {
                            PackedGEMM.packStrips(src, lda: k, m: mc, k: k, into: dst)
                        } else {
                            PackedGEMM.packA(src, lda: k, m: mc, k: k, into: dst)
                        }
                        // A short last chunk leaves the tail of its slot unused; keep it defined.
                        let used = strips ? PackedGEMM.stripsCount(m: mc, k: k) : PackedGEMM.packedCount(m: mc, k: k)
                        (dst + used).initialize(repeating: 0, count: per - used)
                    }
                }
                count = buf.count
            }
        default:
            return []
        }
    }
}
