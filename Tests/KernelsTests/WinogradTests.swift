import Kernels
import TestSupport
import Testing

/// Winograd's accuracy against the direct loop on deep layers, where its rounding error grows with the
/// number of channels summed: both variants within the engine's tolerance of 1e-4 · max |reference|
/// (the conformance bound against ONNX Runtime), with F(4×4, 3×3) allowed its larger constants.
@Suite(.onComputeThreads) struct WinogradTests {
    /// (channels, side): ResNet-18's stage shapes cut to 8 output channels, and odd sides (partial tiles).
    static let shapes = [(64, 56), (128, 28), (256, 14), (512, 7), (96, 13), (160, 9)]

    @Test(arguments: shapes)
    func deepLayersStayWithinTheTolerance(_ c: Int, _ side: Int) throws {
        let m = 8, g = ConvKernelTests.geometry(side, side, 3, 1, 1, 1)
        // N(0,1)-like inputs and He-scaled weights, as in a trained network.
        let x = ConvPlanTests.random(c * side * side, 21), scale = Float((2.0 / Double(9 * c)).squareRoot() * 1.7)
        let w = ConvPlanTests.random(m * c * 9, 22).map { $0 * scale }
        let expected = NaiveConv.run(x: x, channels: c, w: w, bias: nil, outChannels: m, groups: 1, g)
        let bound = 1e-4 * Double(expected.map(abs).max()!)
        let shape = ConvShape(channels: c, outChannels: m, groups: 1, geometry: g)
        for algorithm in [ConvAlgorithm.winogradF2, .winogradF4] {
            guard let plan = ConvPlan(shape, forcing: algorithm) else { continue }
            var y = [Float](repeating: .nan, count: m * side * side)
            y.withUnsafeMutableBufferPointer { yp in
                plan.run(x: x, w: w, bias: nil, residual: nil, y: yp.baseAddress!, images: 1, activation: .none, threads: 2)
            }
            let d = try #require(difference(y.map(Double.init), expected.map(Double.init)))
            #expect(d.maxAbs <= bound, "\(algorithm) C\(c) \(side)x\(side): \(d), bound \(bound)")
        }
    }

    /// Batch and thread invariance of the phase split: every image of a batch of 5, on 2 and 3 threads, has
    /// the bits it has alone on one thread; 2-3 tile blocks with partial tiles, bias, residual, ReLU.
    @Test(arguments: [ConvAlgorithm.winogradF2, .winogradF4])
    func imagesHaveTheSameBitsOnEitherSplit(_ algorithm: ConvAlgorithm) throws {
        let c = 128, m = 40, g = ConvKernelTests.geometry(51, 47, 3, 1, 1, 1), images = 5
        let inSize = c * g.inH * g.inW, outSize = m * g.outH * g.outW
        let shape = ConvShape(channels: c, outChannels: m, groups: 1, geometry: g)
        guard let plan = ConvPlan(shape, forcing: algorithm) else { return }
        let x = ConvPlanTests.random(images * inSize, 31), w = ConvPlanTests.random(m * c * 9, 32)
        let bias = ConvPlanTests.random(m, 33), residual = ConvPlanTests.random(images * outSize, 34)
        var alone: [Float] = []
        for img in 0..<images {
            alone += ConvPlanTests.run(plan, x: Array(x[(img * inSize)..<((img + 1) * inSize)]), w: w, bias: bias,
                                       residual: Array(residual[(img * outSize)..<((img + 1) * outSize)]), images: 1, threads: 1)
        }
        for threads in [2, 3] {
            let batched = ConvPlanTests.run(plan, x: x, w: w, bias: bias, residual: residual, images: images, threads: threads)
            #expect(batched == alone, "\(algorithm), \(threads) threads")
        }
    }
}
