import Glibc
/// How one convolution is computed.
public enum ConvAlgorithm: String, Sendable, CaseIterable {
    /// 1×1, stride 1, no padding: the input planes are already the GEMM's B matrix (no copy).
    case pointwiseGEMM
    /// Panel-wise im2col into a per-worker buffer, then sgemm, tile by tile of output rows.
    case im2colGEMM
    /// One input channel per output channel (depthwise): a direct loop, GEMM would have K = KH·KW.
    case depthwiseDirect
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
    var isPointwise: Bool {
        let g = geometry
        return g.kH == 1 && g.kW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 && g.padLeft == 0
            && g.outH == g.inH && g.outW == g.inW
    }
}

/// The algorithm and work split of one convolution, fixed by its shape alone: never by the batch size or
/// the thread count, because OpenBLAS's result for an element can change with the size of the call it is
/// in (it has separate small-matrix kernels), so an image's output stays bit-identical however it is
/// batched or threaded only if its GEMM calls are. Work per image: groups × channel chunks × row tiles,
/// each an independent task.
public struct ConvPlan: Sendable, Equatable {
    public let shape: ConvShape
    public let algorithm: ConvAlgorithm
    /// Output rows per tile (a tile is a run of whole output rows).
    public let rowsPerTile: Int
    /// Output channels of a group per task.
    public let channelsPerChunk: Int

    /// Tiles above this many output pixels are split: OpenBLAS runs small-M × huge-N products (U-Net's
    /// 32-channel layers at 256²) at 47 GFLOP/s untiled and 82 in 4096-pixel tiles (bench RESULTS §3), and
    /// tiles give a second thread work at batch 1.
    public static let maxTilePixels = Int(getenv("MI_TILE").map { String(cString: $0) } ?? "") ?? 4096
    /// Deep layers (at most `deepLayerPixels` output pixels, at least two chunks of channels) split their
    /// output channels into chunks of this size so a second thread has work at batch 1 (ResNet's 14×14 and
    /// 7×7 stages); the chunks of a tile share one im2col panel and each re-packs only its small B panel.
    public static let channelChunk = Int(getenv("MI_CHUNK").map { String(cString: $0) } ?? "") ?? 128
    public static let deepLayerPixels = 256

    /// Whether `algorithm` can compute `shape`.
    public static func applicable(_ algorithm: ConvAlgorithm, _ shape: ConvShape) -> Bool {
        switch algorithm {
        case .im2colGEMM: return true
        case .pointwiseGEMM: return shape.isPointwise
        case .depthwiseDirect: return shape.cpg == 1
        }
    }

    /// The one place the algorithm is chosen: depthwise → direct, 1×1/s1 → GEMM on the input, else
    /// im2col + GEMM. `forcing` overrides the choice (tests run every applicable path); nil if not applicable.
    public init?(_ shape: ConvShape, forcing: ConvAlgorithm? = nil) {
        let algorithm: ConvAlgorithm
        if let f = forcing {
            guard ConvPlan.applicable(f, shape) else { return nil }
            algorithm = f
        } else if shape.cpg == 1 && shape.groups > 1 {
            algorithm = .depthwiseDirect  // GEMM with K = kH·kW and M = 1 per group would run at a few GFLOP/s
        } else if shape.isPointwise {
            algorithm = .pointwiseGEMM
        } else {
            algorithm = .im2colGEMM
        }
        self.shape = shape
        self.algorithm = algorithm
        let g = shape.geometry, pixels = shape.pixels
        if algorithm == .depthwiseDirect {
            rowsPerTile = g.outH
            channelsPerChunk = 1
            return
        }
        let tiles = (pixels + ConvPlan.maxTilePixels - 1) / ConvPlan.maxTilePixels
        rowsPerTile = max(1, (g.outH + tiles - 1) / tiles)
        channelsPerChunk = pixels <= ConvPlan.deepLayerPixels && shape.mpg >= 2 * ConvPlan.channelChunk
            ? ConvPlan.channelChunk : shape.mpg
    }

    var rowTiles: Int { (shape.geometry.outH + rowsPerTile - 1) / rowsPerTile }
    var chunks: Int { (shape.mpg + channelsPerChunk - 1) / channelsPerChunk }
    /// Independent tasks per image.
    public var tasksPerImage: Int {
        algorithm == .depthwiseDirect ? shape.outChannels : shape.groups * chunks * rowTiles
    }
    /// Floats of scratch each worker needs (the im2col panel of one tile).
    public var scratchFloats: Int {
        algorithm == .im2colGEMM ? shape.depth * rowsPerTile * shape.geometry.outW : 0
    }
}
