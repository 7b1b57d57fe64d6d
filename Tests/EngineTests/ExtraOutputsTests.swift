import Engine
import Tensor
import Testing
import TestSupport

/// A plan returns intermediate values on request (what a class activation map reads), and refuses names
/// that are not values of the optimised graph.
@Suite(.onComputeThreads) struct ExtraOutputsTests {
    static func model() throws -> Model {
        var w = [Float](repeating: 0, count: 18)
        for i in w.indices { w[i] = Float(i % 5) / 4 - 0.5 }
        let g = Graph(nodes: [
            Node(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            Node(name: "relu", opType: "Relu", inputs: ["c"], outputs: ["features"]),
            Node(name: "gap", opType: "GlobalAveragePool", inputs: ["features"], outputs: ["y"]),
        ], inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N"), .fixed(1), .fixed(4), .fixed(4)])],
           outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
           initializers: ["w": try Tensor(shape: [2, 1, 3, 3], values: w)], opset: 13)
        return try Model(graph: g)
    }

    @Test func featureMapIsReturned() throws {
        let model = try Self.model()
        let x = try Tensor(shape: [2, 1, 4, 4], values: (0..<32).map { Float($0 % 7) - 3 })
        let plain = try model.run(["x": x])
        #expect(Set(plain.keys) == ["y"])
        let out = try model.run(["x": x], extraOutputs: ["features"])
        #expect(Set(out.keys) == ["y", "features"])
        let f = try #require(out["features"]).floats()
        let y = try #require(out["y"]).floats()
        #expect(try #require(out["features"]).shape == [2, 2, 4, 4])
        #expect(f.allSatisfy { $0 >= 0 } && f.contains { $0 > 0 })  // after the (fused) ReLU
        for (i, v) in y.enumerated() {
            let mean = f[(i * 16)..<((i + 1) * 16)].reduce(0, +) / 16
            #expect(abs(mean - v) <= 1e-6)
        }
        #expect(try #require(plain["y"]).floats() == y)  // the extra output changes nothing else
    }

    @Test func unknownOrFusedAwayValuesAreRefused() throws {
        let model = try Self.model()
        let x = try Tensor(zeros: .float32, shape: [1, 1, 4, 4])
        // "c" (before the ReLU) no longer exists once the ReLU is fused into the convolution.
        for name in ["c", "nope"] {
            #expect {
                _ = try model.run(["x": x], extraOutputs: [name])
            } throws: { error in
                guard case .invalidGraph(let reason) = error as? EngineError else { return false }
                return reason.contains("'\(name)'")
            }
        }
    }
}
