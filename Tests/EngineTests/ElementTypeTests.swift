@testable import Engine
import Tensor
import Testing

/// Ops on the reduced-precision float types compare and combine values, not truncated integers.
@Suite struct ElementTypeTests {
    @Test(arguments: [DType.float16, .bfloat16, .float8e4m3fn])
    func equalComparesFloatValues(_ dtype: DType) throws {
        let a = try Tensor(converting: [0.5, 0.25, 1, -0.5], shape: [4], to: dtype)
        let b = try Tensor(converting: [0.25, 0.25, 1.5, -0.5], shape: [4], to: dtype)
        let node = Node(name: "eq", opType: "Equal", inputs: ["a", "b"], outputs: ["y"])
        let y = try SelectOp(ctx: node.context, kind: .equal).run([a, b])[0]
        #expect(try y.values(as: Bool.self) == [false, true, false, true])
    }
}
