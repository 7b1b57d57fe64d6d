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

extension ElementTypeTests {
    static func unary(_ op: String, _ x: Tensor) throws -> Tensor {
        let node = Node(name: op.lowercased(), opType: op, inputs: ["x"], outputs: ["y"])
        return try #require(OpRegistry.makeOperator(node, opset: 13) as? UnaryOp).run([x])[0]
    }

    @Test func negAndAbsKeepFloatValues() throws {
        let x = try Tensor(shape: [3], values: [0.5, -1.25, 3.75])
        #expect(try Self.unary("Neg", x).values(as: Double.self) == [-0.5, 1.25, -3.75])
        #expect(try Self.unary("Abs", x).values(as: Double.self) == [0.5, 1.25, 3.75])
        let h = try Tensor(converting: [0.5, -1.25], shape: [2], to: .float16)
        let y = try Self.unary("Neg", h)
        #expect(y.dtype == .float16 && y.doubles() == [-0.5, 1.25])
    }

    /// -INT64_MIN and |INT64_MIN| wrap to INT64_MIN (as numpy does) instead of trapping.
    @Test func negAndAbsOfTheSmallestIntegerWrap() throws {
        let x = try Tensor(shape: [2], values: [Int64.min, -7])
        #expect(try Self.unary("Neg", x).values(as: Int64.self) == [.min, 7])
        #expect(try Self.unary("Abs", x).values(as: Int64.self) == [.min, 7])
    }
}

extension ElementTypeTests {
    /// Integer Div, Pow and PRelu at the edges of int64 give wrapped or saturated values, never a trap.
    @Test func integerArithmeticAtTheEdgesDoesNotTrap() throws {
        func binary(_ kind: BinaryOp.Kind, _ a: [Int64], _ b: [Int64]) throws -> [Int64] {
            let node = Node(name: "op", opType: kind.rawValue, inputs: ["a", "b"], outputs: ["y"])
            return try BinaryOp(ctx: node.context, kind: kind)
                .run([try Tensor(shape: [a.count], values: a), try Tensor(shape: [b.count], values: b)])[0].values(as: Int64.self)
        }
        #expect(try binary(.div, [.min, 7, 5], [-1, 2, 0]) == [.min, 3, 0])
        #expect(try binary(.pow, [10, 2, -10], [30, 3, 31]) == [.max, 8, .min])
        #expect(try binary(.prelu, [.min, -3, 4], [2, 2, 2]) == [0, -6, 4])
    }
}
