import Engine
import Tensor
import Testing
import TestSupport

/// Graphs a hostile or careless exporter writes: integer extremes, shapes whose element count overflows,
/// sizes past the memory budget. Each must load, run as the spec says, or fail with a typed error naming
/// the node; none may trap (a trap in the verifier used to take the server down).
@Suite struct HostileGraphTests {
    static func int64s(_ v: [Int64]) throws -> Tensor { try Tensor(shape: [v.count], values: v) }

    /// One node over input `x` [2, 5] (float32) and the given constants.
    static func run(_ node: Node, constants: [String: Tensor], x: Tensor? = nil,
                    options: CompileOptions = .init()) throws -> [String: Tensor] {
        let input = try x ?? Tensor(shape: [2, 5], values: (0..<10).map(Float.init))
        let g = Graph(nodes: [node], inputs: [ValueInfo(name: "x", dtype: input.dtype, shape: input.shape.map { .fixed($0) })],
                      outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)], initializers: constants, opset: 13)
        return try Model(graph: g, options: options).run(["x": input])
    }

    /// `ddddocr` 1.6.1's `common_det.onnx` slices with `ends = INT64_MAX`: read through `Double`, that value
    /// became 2^63 and trapped the conversion to `Int`. It clamps to the axis, as the spec says.
    @Test func sliceWithInt64MaxEndsClampsToTheAxis() throws {
        let node = Node(name: "slice_9", opType: "Slice", inputs: ["x", "starts", "ends", "axes"], outputs: ["y"])
        let y = try Self.run(node, constants: ["starts": try Self.int64s([1]), "ends": try Self.int64s([Int64.max]),
                                               "axes": try Self.int64s([1])])["y"]
        #expect(y?.shape == [2, 4])
        #expect(y?.floats() == [1, 2, 3, 4, 6, 7, 8, 9])
    }

    @Test func sliceWithExtremeStepsTakesOneElement() throws {
        let node = Node(name: "slice_rev", opType: "Slice", inputs: ["x", "starts", "ends", "axes", "steps"], outputs: ["y"])
        let down = try Self.run(node, constants: [
            "starts": try Self.int64s([Int64.max]), "ends": try Self.int64s([Int64.min]),
            "axes": try Self.int64s([1]), "steps": try Self.int64s([Int64.min]),
        ])["y"]
        #expect(down?.shape == [2, 1])
        #expect(down?.floats() == [4, 9])
        let up = try Self.run(node, constants: [
            "starts": try Self.int64s([0]), "ends": try Self.int64s([Int64.max]),
            "axes": try Self.int64s([-1]), "steps": try Self.int64s([Int64.max]),
        ])["y"]
        #expect(up?.floats() == [0, 5])
    }

    @Test func integerValuesAreReadExactly() throws {
        let t = try Self.int64s([Int64.max, Int64.min, (1 << 53) + 1, -1])
        #expect(t.int64s() == [Int64.max, Int64.min, (1 << 53) + 1, -1])
        let u = try Tensor(shape: [2], values: [UInt64.max, 7])
        #expect(u.int64s() == [Int64.max, 7])
        let f = try Tensor(shape: [4], values: [Float.nan, 1e30, -1e30, -2.7])
        #expect(f.int64s() == [0, Int64.max, Int64.min, -2])
    }

    @Test func castOfIntegersIsExact() throws {
        let x = try Self.int64s([(1 << 53) + 1, -3])
        let g = Graph(nodes: [Node(name: "id", opType: "Identity", inputs: ["x"], outputs: ["z"]),
                              Node(name: "cast_1", opType: "Cast", inputs: ["z"], outputs: ["y"], attributes: ["to": .int(6)]), ],
                      inputs: [ValueInfo(name: "x", dtype: .int64, shape: [.fixed(2)])],
                      outputs: [ValueInfo(name: "y", dtype: .int32, shape: nil)], initializers: [:], opset: 13)
        let y = try Model(graph: g).run(["x": x])["y"]
        #expect(y?.int64s() == [1, -3])  // 2^53 + 1 wraps to 1 in int32 (as ONNX Runtime's static_cast does)
    }

    /// Shapes whose element count overflows `Int` or that no machine holds: typed errors, not traps.
    @Test(arguments: [
        ("Expand", [Int64(1) << 40, Int64(1) << 40]),
        ("Expand", [Int64.max, 5]),
        ("Tile", [Int64.max, Int64.max]),
        ("Tile", [Int64(1) << 31, Int64(1) << 31]),
        ("Reshape", [Int64(1) << 62, 4, -1]),
        ("Reshape", [-5, 2]),
    ])
    func shapesThatOverflowAreRefused(_ op: String, _ dims: [Int64]) throws {
        let node = Node(name: "\(op.lowercased())_7", opType: op, inputs: ["x", "s"], outputs: ["y"])
        #expect {
            _ = try Self.run(node, constants: ["s": try Self.int64s(dims)])
        } throws: { error in
            guard let e = error as? EngineError else { return false }
            switch e {
            case .shapeMismatch(let node, _, _), .invalidInput(let node, _, _, _): return node == "\(op.lowercased())_7"
            case .overMemoryBudget(let what, _, _): return what.contains("\(op.lowercased())_7")
            default: return false
            }
        }
    }

    @Test func constantOfShapeBeyondAnyMachineIsRefused() throws {
        let node = Node(name: "fill_2", opType: "ConstantOfShape", inputs: ["s"], outputs: ["c"])
        let add = Node(name: "add", opType: "Add", inputs: ["x", "c"], outputs: ["y"])
        let g = Graph(nodes: [node, add], inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(1)])],
                      outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
                      initializers: ["s": try Self.int64s([1 << 35, 1 << 35])], opset: 13)
        #expect(throws: EngineError.self) { _ = try Model(graph: g).run(["x": try Tensor(shape: [1], values: [Float(1)])]) }
    }

    @Test(arguments: ["kernel_shape", "strides", "dilations", "pads"])
    func windowAttributesAtInt64MaxAreRefused(_ attribute: String) throws {
        var attributes: [String: Attribute] = ["kernel_shape": .ints([2, 2])]
        attributes[attribute] = .ints(attribute == "pads" ? [Int.max, 0, 0, 0] : [Int.max, 1])
        let node = Node(name: "pool_3", opType: "MaxPool", inputs: ["x"], outputs: ["y"], attributes: attributes)
        #expect {
            _ = try Self.run(node, constants: [:], x: try Tensor(zeros: .float32, shape: [1, 1, 4, 4]))
        } throws: { error in
            guard case .invalidAttribute(let node, _, let attr, _) = error as? EngineError else { return false }
            return node == "pool_3" && attr == attribute
        }
    }

    /// A 3-D convolution whose depth padding and stride are huge (a small output from a padded volume of
    /// terabytes): refused before the padded copy is allocated, on both 3-D paths.
    @Test(arguments: [1, 2])
    func hugeDepthPaddingIsRefused(group: Int) throws {
        let big = 1 << 22
        let node = Node(name: "conv3d_9", opType: "Conv", inputs: ["x", "w"], outputs: ["y"], attributes: [
            "pads": .ints([big, 0, 0, big, 0, 0]), "strides": .ints([big, 1, 1]), "group": .int(group)])
        #expect {
            _ = try Self.run(node, constants: ["w": try Tensor(zeros: .float32, shape: [2, 2 / group, 1, 3, 3])],
                             x: try Tensor(zeros: .float32, shape: [1, 2, 2, 64, 64]))
        } throws: { error in
            guard case .invalidAttribute(let node, _, let attr, _) = error as? EngineError else { return false }
            return node == "conv3d_9" && attr == "pads"
        }
    }

    @Test func padsAtInt64MaxAreRefused() throws {
        let node = Node(name: "pad_1", opType: "Pad", inputs: ["x", "p"], outputs: ["y"])
        #expect(throws: EngineError.self) {
            _ = try Self.run(node, constants: ["p": try Self.int64s([0, Int64.max, 0, 1])])
        }
        let axes = Node(name: "pad_2", opType: "Pad", inputs: ["x", "p", "", "a"], outputs: ["y"])
        #expect(throws: EngineError.self) {
            _ = try Self.run(axes, constants: ["p": try Self.int64s([1, 1]), "a": try Self.int64s([7])])
        }
    }

    /// Weights or activations over `CompileOptions.memoryBudget`: refused before anything is allocated.
    @Test func theMemoryBudgetRefusesWeightsAndActivations() throws {
        let small = CompileOptions(memoryBudget: 1000)
        let node = Node(name: "add_w", opType: "Add", inputs: ["x", "w"], outputs: ["y"])
        #expect {
            _ = try Self.run(node, constants: ["w": try Tensor(zeros: .float32, shape: [2, 500])], options: small)
        } throws: { error in
            guard case .overMemoryBudget(let what, let bytes, 1000) = error as? EngineError else { return false }
            return what == "the weights" && bytes == 4000
        }
        let expand = Node(name: "expand_big", opType: "Expand", inputs: ["x", "s"], outputs: ["y"])
        #expect {
            _ = try Self.run(expand, constants: ["s": try Self.int64s([100, 2, 5])], options: small)
        } throws: { error in
            guard case .overMemoryBudget(let what, 4000, 1000) = error as? EngineError else { return false }
            return what.contains("expand_big")
        }
        // Within the budget the same graph runs.
        let y = try Self.run(expand, constants: ["s": try Self.int64s([3, 2, 5])], options: CompileOptions(memoryBudget: 1 << 20))["y"]
        #expect(y?.shape == [3, 2, 5])
    }
}
