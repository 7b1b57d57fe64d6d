import Engine
import Tensor
import Testing
import TestSupport

/// `Passes.poolBeforePointwise`: an average pool whose windows tile the plane moves before the 1×1 conv that
/// feeds it (same output within rounding), and nothing moves where the two would not commute.
@Suite(.onComputeThreads) struct PassesTests {
    static let x = ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N"), .fixed(4), .fixed(7), .fixed(6)])

    /// x → Conv (1×1 unless `kernel` says otherwise, with bias) → `middle` → AveragePool (`pool` attributes) → y.
    static func model(kernel: Int = 1, middle: [Node] = [], pool: [String: Attribute] = ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])],
                      fusion: Bool = true) throws -> Model {
        let w: [Float] = (0..<(3 * 4 * kernel * kernel)).map { Float(($0 * 5) % 13) / 6 - 1 }
        let convOut = middle.isEmpty ? "c" : "c0"
        let conv = Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: [convOut])
        let avg = Node(name: "pool", opType: "AveragePool", inputs: ["c"], outputs: ["y"], attributes: pool)
        let initializers: [String: Tensor] = [
            "w": try Tensor(shape: [3, 4, kernel, kernel], values: w), "b": try Tensor(shape: [3], values: [Float]([0.5, -1, 2])),
        ]
        let g = Graph(nodes: [conv] + middle + [avg], inputs: [x], outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
                      initializers: initializers, opset: 13)
        var options = CompileOptions()
        options.enableFusion = fusion
        return try Model(graph: g, options: options)
    }

    static let input: Tensor = {
        let values: [Float] = (0..<(2 * 4 * 42)).map { i in Float((i * 7) % 11) / 3 - 1.5 }
        return try! Tensor(shape: [2, 4, 7, 6], values: values)
    }()

    @Test func averagePoolMovesBeforeA1x1ConvWithTheSameResult() throws {
        let moved = try Self.model(), reference = try Self.model(fusion: false)
        #expect(moved.graph.nodes.map(\.opType) == ["AveragePool", "Conv"])
        #expect(reference.graph.nodes.map(\.opType) == ["Conv", "AveragePool"])
        let a = try #require(try moved.run(["x": Self.input])["y"]), b = try #require(try reference.run(["x": Self.input])["y"])
        #expect(a.shape == [2, 3, 3, 3] && b.shape == a.shape)  // 7 rows: floor mode drops the last in both orders
        let d = zip(a.floats(), b.floats()).map { abs($0 - $1) }.max() ?? .infinity
        #expect(d <= 1e-5)
    }

    @Test func nothingMovesWhereTheOrderMatters() throws {
        let cases: [(String, Model)] = [
            ("3x3 conv", try Self.model(kernel: 3)),
            ("ReLU between", try Self.model(middle: [Node(name: "relu", opType: "Relu", inputs: ["c0"], outputs: ["c"])])),
            ("overlapping windows", try Self.model(pool: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2])])),
            ("padded pool", try Self.model(pool: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])])),
            ("ceil mode", try Self.model(pool: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "ceil_mode": .int(1)])),
        ]
        for (name, model) in cases {
            #expect(model.graph.nodes.last?.opType == "AveragePool", "\(name)")
        }
    }
}
