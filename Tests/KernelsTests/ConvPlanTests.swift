import Kernels
import TestSupport
import Testing

/// Every conv path `ConvPlan` can choose, forced on random shapes and on shapes that trigger row tiles and
/// channel chunks, against the direct 7-loop twin; and outputs identical whatever the batch or thread count.
@Suite(.onComputeThreads) struct ConvPlanTests {
    typealias Case = ConvKernelTests.Case

    static func shape(_ t: Case) -> ConvShape { ConvShape(channels: t.c, outChannels: t.m, groups: t.groups, geometry: t.g) }

    /// The random cases of ConvKernelTests plus named ones: depthwise with a channel multiplier, a pointwise
    /// layer, a layer big enough to be split into row tiles, a deep one split into channel chunks.
    static let cases: [Case] = ConvKernelTests.cases + [
        Case(c: 3, m: 6, groups: 3, g: ConvKernelTests.geometry(9, 7, 3, 1, 1, 1)),    // depthwise, multiplier 2
        Case(c: 8, m: 8, groups: 8, g: ConvKernelTests.geometry(11, 10, 5, 2, 2, 3)),  // depthwise, dilated, stride 2
        Case(c: 6, m: 5, groups: 1, g: ConvKernelTests.geometry(9, 9, 1, 1, 1, 0)),    // pointwise
        Case(c: 2, m: 3, groups: 1, g: ConvKernelTests.geometry(70, 66, 3, 1, 1, 1)),  // 4620 pixels: 2 row tiles
        Case(c: 2, m: 300, groups: 1, g: ConvKernelTests.geometry(6, 5, 3, 1, 1, 1)),  // deep, 300 channels
        Case(c: 64, m: 3, groups: 1, g: ConvKernelTests.geometry(51, 47, 3, 1, 1, 1)),  // Winograd: 2 tile blocks, odd edges
        Case(c: 5, m: 7, groups: 1, g: ConvKernelTests.geometry(9, 8, 3, 1, 1, 0)),  // Winograd without padding
        Case(c: 256, m: 4, groups: 1, g: ConvKernelTests.geometry(35, 37, 3, 1, 1, 1)),  // F(4x4): 2 tile blocks, partial strip
    ]

    /// Strided shapes for `.directPacked`'s phase planes: the stem's 7×7/2 (3 -> 64 channels, odd size),
    /// 3×3/2 and 1×1/2 downsampling, stride 3, stride with dilation, unequal strides and pads, and enough
    /// channels for two channel blocks of `PackedGEMM.multiplyShifted`.
    static let strided: [Case] = [
        Case(c: 3, m: 64, groups: 1, g: ConvKernelTests.geometry(59, 57, 7, 2, 1, 3)),  // stem
        Case(c: 5, m: 7, groups: 1, g: ConvKernelTests.geometry(15, 14, 3, 2, 1, 1)),
        Case(c: 6, m: 9, groups: 1, g: ConvKernelTests.geometry(13, 11, 1, 2, 1, 0)),  // one phase of four
        Case(c: 4, m: 5, groups: 1, g: ConvKernelTests.geometry(17, 16, 3, 3, 1, 1)),
        Case(c: 3, m: 4, groups: 1, g: ConvKernelTests.geometry(19, 18, 5, 3, 2, 2)),
        Case(c: 2, m: 3, groups: 1, g: ConvKernelTests.geometry(12, 13, 3, 2, 2, 2)),  // dilation 2: one phase
        Case(c: 40, m: 13, groups: 1, g: ConvKernelTests.geometry(9, 10, 3, 2, 1, 1)),  // 2 channel blocks
        Case(c: 4, m: 6, groups: 2, g: ConvGeometry(inH: 11, inW: 14, kH: 3, kW: 5, strideH: 2, strideW: 3, dilH: 1,
                                                    dilW: 1, padTop: 1, padLeft: 2, outH: 6, outW: 5)),
        Case(c: 64, m: 300, groups: 1, g: ConvKernelTests.geometry(5, 6, 3, 1, 1, 1)),  // deep and wide: 3 channel blocks, 50 panels
    ]

    static func random(_ count: Int, _ seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
    }

    /// Runs `plan` on `images` images with bias, residual and ReLU.
    static func run(_ plan: ConvPlan, x: [Float], w: [Float], bias: [Float], residual: [Float], images: Int,
                    threads: Int) -> [Float] {
        var y = [Float](repeating: .nan, count: residual.count)
        y.withUnsafeMutableBufferPointer { yp in
            plan.run(x: x, w: w, bias: bias, residual: residual, y: yp.baseAddress!, images: images,
                     activation: .relu, threads: threads)
        }
        return y
    }

    @Test(arguments: cases + strided)
    func everyApplicableAlgorithmMatchesTheDirectLoop(_ t: Case) throws {
        let g = t.g, pixels = g.outH * g.outW, images = 2
        let x = Self.random(images * t.c * g.inH * g.inW, 1), w = Self.random(t.m * t.c / t.groups * g.kH * g.kW, 2)
        let bias = Self.random(t.m, 3), residual = Self.random(images * t.m * pixels, 4)
        var expected: [Float] = []
        for img in 0..<images {
            let y = NaiveConv.run(x: Array(x[(img * t.c * g.inH * g.inW)...].prefix(t.c * g.inH * g.inW)), channels: t.c,
                                  w: w, bias: bias, outChannels: t.m, groups: t.groups, g)
            expected += y.enumerated().map { max($0.element + residual[img * t.m * pixels + $0.offset], 0) }
        }
        // The engine's conformance bound (1e-4 · max(1, max |reference|)): with 256 channels of uniform
        // weights the sums reach ~40, where float rounding alone differs by ~1e-4 between summation orders.
        let bound = 1e-4 * Double(max(1, expected.map(abs).max() ?? 0))
        var ran = 0
        for algorithm in ConvAlgorithm.allCases {
            guard let plan = ConvPlan(Self.shape(t), forcing: algorithm) else {
                #expect(!ConvPlan.applicable(algorithm, Self.shape(t)))
                continue
            }
            ran += 1
            for p in [plan, ConvPlan(plan.shape, algorithm, rowsPerTile: 3, channelsPerChunk: 2)] {
                let y = Self.run(p, x: x, w: w, bias: bias, residual: residual, images: images, threads: 2)
                let d = try #require(difference(y.map(Double.init), expected.map(Double.init)))
                #expect(d.maxAbs <= bound, "\(t.testDescription) \(algorithm) \(p.rowsPerTile) rows \(p.channelsPerChunk) channels: \(d), bound \(bound)")
            }
        }
        #expect(ran >= 1)
        #expect(ConvPlan.applicable(try #require(ConvPlan(Self.shape(t))).algorithm, Self.shape(t)))
    }

    @Test func theChoiceFollowsTheShape() throws {
        let byName = Dictionary(uniqueKeysWithValues: Self.cases.suffix(8).prefix(5).enumerated().map {
            ($0.offset, try! #require(ConvPlan(Self.shape($0.element))))
        })
        #expect(byName[0]?.algorithm == .depthwiseDirect)
        #expect(byName[1]?.algorithm == .depthwiseDirect)
        // Stride-1 convolutions read the padded input directly where the CPU has AVX2 (im2col + OpenBLAS
        // elsewhere); small pointwise ones on pixel panels with AVX2, on OpenBLAS without.
        #expect(byName[2]?.algorithm == (CPUFeatures.avx2FMA ? .pixelPacked : .pointwiseGEMM))
        #expect(byName[3]?.algorithm.unpacked == .im2colGEMM && byName[3]?.tasksPerImage == 2)
        #expect(byName[4]?.algorithm.unpacked == .im2colGEMM && byName[4]?.tasksPerImage == 1)
        #expect(byName[4]?.algorithm == (CPUFeatures.avx2FMA ? .pixelPacked : .im2colGEMM))  // 30 pixels
        let strided = ConvShape(channels: 3, outChannels: 64, groups: 1, geometry: ConvKernelTests.geometry(224, 224, 7, 2, 1, 3))
        // Strided: stems (few input channels) on the phase planes with AVX2, other k×k ones on pixel panels,
        // 1×1 ones (and all without AVX2) on im2col + OpenBLAS.
        #expect(try #require(ConvPlan(strided)).algorithm == (CPUFeatures.avx2FMA ? .directPacked : .im2colGEMM))
        let down = ConvShape(channels: 64, outChannels: 128, groups: 1, geometry: ConvKernelTests.geometry(56, 56, 3, 2, 1, 1))
        #expect(try #require(ConvPlan(down)).algorithm == (CPUFeatures.avx2FMA ? .pixelPacked : .im2colGEMM))
        let down1 = ConvShape(channels: 64, outChannels: 128, groups: 1, geometry: ConvKernelTests.geometry(56, 56, 1, 2, 1, 0))
        #expect(try #require(ConvPlan(down1)).algorithm == .im2colGEMM)
        let wide = ConvShape(channels: 32, outChannels: 32, groups: 1, geometry: ConvKernelTests.geometry(64, 64, 3, 1, 1, 1))
        #expect(try #require(ConvPlan(wide)).algorithm == (CPUFeatures.avx2FMA ? .directPacked : .im2colGEMM))
        // ResNet-18's 3x3 stages: with AVX2, Winograd F(4x4) on all but the 7x7 one (4 tiles); without,
        // F(2x2) on the 28x28 and 14x14 ones. im2col + GEMM (or the direct packed path) on the others.
        // With im2col on 2 threads, wide layers split into row tiles and deep ones into channel chunks.
        for (side, c) in [(56, 64), (28, 128), (14, 256), (7, 512)] {
            let s = ConvShape(channels: c, outChannels: c, groups: 1, geometry: ConvKernelTests.geometry(side, side, 3, 1, 1, 1))
            let f2 = side * side >= ConvPlan.winogradMinPixels && c >= ConvPlan.winogradMinChannels
            let expected: ConvAlgorithm = CPUFeatures.avx2FMA ? (side > 7 ? .winogradF4 : .pixelPacked) : (f2 ? .winogradF2 : .im2colGEMM)
            #expect(try #require(ConvPlan(s)).algorithm == expected, "\(side)x\(side)x\(c)")
            let plan = try #require(ConvPlan(s, forcing: .im2colGEMM, threads: 2))
            #expect(plan.tasksPerImage >= 4, "\(side)x\(side)x\(c)")
            // One thread: row tiles only where the im2col panel would outgrow L2 (tiles of >= 256 pixels).
            let one = try #require(ConvPlan(s, forcing: .im2colGEMM, threads: 1))
            #expect(one.channelsPerChunk == c)
            #expect(one.scratchFloats * 4 <= ConvPlan.panelBytes || (one.rowsPerTile - 1) * side < 256, "\(side)x\(side)x\(c)")
        }
    }

    /// Batch invariance at the kernel level: each image alone, in a batch, on 1 or 2 threads: same bits.
    @Test(arguments: cases.suffix(8) + strided)
    func outputsDoNotDependOnBatchOrThreads(_ t: Case) throws {
        let g = t.g, pixels = g.outH * g.outW, images = 3, inSize = t.c * g.inH * g.inW, outSize = t.m * pixels
        let x = Self.random(images * inSize, 5), w = Self.random(t.m * t.c / t.groups * g.kH * g.kW, 6)
        let bias = Self.random(t.m, 7), residual = Self.random(images * outSize, 8)
        // Forced split: 2 rows per tile, 64 channels per chunk (the thresholds would not split these small shapes).
        let chosen = try #require(ConvPlan(Self.shape(t)))
        for algorithm in Set([chosen.algorithm, .directPacked, .pixelPacked]) where ConvPlan.applicable(algorithm, chosen.shape) {
            let plan = ConvPlan(chosen.shape, algorithm, rowsPerTile: 2, channelsPerChunk: 64)
            let batched1 = Self.run(plan, x: x, w: w, bias: bias, residual: residual, images: images, threads: 1)
            let batched2 = Self.run(plan, x: x, w: w, bias: bias, residual: residual, images: images, threads: 2)
            #expect(batched1 == batched2)
            for img in 0..<images {
                let alone = Self.run(plan, x: Array(x[(img * inSize)..<((img + 1) * inSize)]), w: w, bias: bias,
                                     residual: Array(residual[(img * outSize)..<((img + 1) * outSize)]), images: 1, threads: 2)
                let inBatch = Array(batched1[(img * outSize)..<((img + 1) * outSize)])
                #expect(alone == inBatch, "\(algorithm) image \(img): \(difference(alone.map(Double.init), inBatch.map(Double.init)).map(\.description) ?? "")")
            }
        }
    }
}
