@testable import Engine
import Tensor
import Testing
import TestSupport

/// Resize's one-pass nearest gather against the separable taps it shortcuts (the slow reference: one pass
/// per axis, each output a weighted sum of its taps), on random shapes of rank 3 to 5 and every nearest
/// and coordinate mode; plus trilinear on a volume against a direct evaluation. The ONNX node tests
/// (`node-tests.txt`) hold both against the ONNX reference.
@Suite struct ResizeTests {
    /// The separable path for `op`, whatever the mode.
    static func separable(_ op: ResizeOp, _ x: Tensor, _ shape: [Int], _ scales: [Double]) -> [Float] {
        var data = x.floats(), current = x.shape
        for a in current.indices where shape[a] != current[a] || scales[a] != 1 {
            let taps = ResizeTaps(op, inSize: current[a], outSize: shape[a], scale: scales[a], roi: (0, 1))
            var next = current
            next[a] = shape[a]
            var out = [Float](repeating: 0, count: next.product)
            data.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { taps.apply(src.baseAddress!, current, axis: a, $0.baseAddress!, threads: 1) } }
            data = out
            current = next
        }
        return data
    }

    @Test(arguments: 0..<24)
    func nearestGatherEqualsTheSeparableTaps(_ seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 11)
        let rank = 3 + Int(rng.next() % 3)
        let shape = (0..<rank).map { _ in 1 + Int(rng.next() % 6) }
        let scales = (0..<rank).map { a in a < 2 ? 1.0 : [0.5, 0.6, 1.0, 1.5, 2.0, 3.0][Int(rng.next() % 6)] }
        let modes = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "half_pixel_symmetric"]
        let nearest = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]
        let node = Node(name: "resize_\(seed)", opType: "Resize", inputs: ["x", "", "s"], outputs: ["y"], attributes: [
            "mode": .string("nearest"), "coordinate_transformation_mode": .string(modes[seed % modes.count]),
            "nearest_mode": .string(nearest[seed % nearest.count]),
        ])
        let op = try ResizeOp(node, 13)
        let x = try Tensor(shape: shape, values: (0..<shape.product).map { _ in Float(rng.next() % 1000) / 7 })
        let s = try Tensor(shape: [rank], values: scales.map(Float.init))
        let y = try op.run([x, nil, s])[0]
        let expected = Self.separable(op, x, y.shape, scales)
        #expect(y.floats() == expected, "shape \(shape) scales \(scales)")
    }

    /// Trilinear (align_corners) on a 5-D volume: each output voxel equals the interpolation written out.
    @Test func trilinearOnAVolume() throws {
        let inShape = [1, 2, 3, 4, 5], outShape = [1, 2, 5, 7, 9]
        let values = (0..<inShape.product).map { Float(($0 * 37) % 101) / 10 }
        let x = try Tensor(shape: inShape, values: values)
        let node = Node(name: "up", opType: "Resize", inputs: ["x", "", "", "sizes"], outputs: ["y"],
                        attributes: ["mode": .string("linear"), "coordinate_transformation_mode": .string("align_corners")])
        let sizes = try Tensor(shape: [5], values: outShape.map { Int64($0) })
        let y = try ResizeOp(node, 13).run([x, nil, nil, sizes])[0].floats()
        func at(_ c: Int, _ z: Int, _ r: Int, _ q: Int) -> Double { Double(values[((c * 3 + z) * 4 + r) * 5 + q]) }
        for c in 0..<2 { for d in 0..<5 { for h in 0..<7 { for w in 0..<9 {
            let pz = Double(d) * 2 / 4, py = Double(h) * 3 / 6, px = Double(w) * 4 / 8
            let z0 = Int(pz), y0 = Int(py), x0 = Int(px)
            let z1 = min(z0 + 1, 2), y1 = min(y0 + 1, 3), x1 = min(x0 + 1, 4)
            let fz = pz - Double(z0), fy = py - Double(y0), fx = px - Double(x0)
            var v = 0.0
            for (zi, wz) in [(z0, 1 - fz), (z1, fz)] { for (yi, wy) in [(y0, 1 - fy), (y1, fy)] { for (xi, wx) in [(x0, 1 - fx), (x1, fx)] {
                v += wz * wy * wx * at(c, zi, yi, xi)
            } } }
            let got = Double(y[((c * 5 + d) * 7 + h) * 9 + w])
            #expect(abs(got - v) <= 1e-4, "c \(c) d \(d) h \(h) w \(w): \(got) vs \(v)")
        } } } }
    }
}
