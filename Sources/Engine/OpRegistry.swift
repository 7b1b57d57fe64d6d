/// ONNX op type -> builder of a validated operator. One line per op.
public enum OpRegistry {
    static let builders: [String: OpBuilder] = {
        var b = UnaryOp.builders
        for k in ["Add", "Sub", "Mul", "Div", "Pow", "Min", "Max", "Sum", "Mean", "PRelu"] {
            b[k] = { n, _ in BinaryOp(ctx: n.context, kind: BinaryOp.Kind(rawValue: k) ?? .add) }
        }
        b["Clip"] = { n, o in try ClipOp(n, o) }
        b["Identity"] = { n, _ in IdentityOp(ctx: n.context, outputs: 1) }
        b["Dropout"] = { n, _ in IdentityOp(ctx: n.context, outputs: n.outputs.count) }
        b["Conv"] = { n, o in try ConvOp(n, o) }
        b["ConvTranspose"] = { n, o in try ConvTransposeOp(n, o) }
        b["MaxPool"] = { n, o in try PoolOp(n, o, .max) }
        b["AveragePool"] = { n, o in try PoolOp(n, o, .average) }
        b["GlobalMaxPool"] = { n, o in try PoolOp(n, o, .globalMax) }
        b["GlobalAveragePool"] = { n, o in try PoolOp(n, o, .globalAverage) }
        b["Gemm"] = { n, o in try GemmOp(n, o) }
        b["MatMul"] = { n, _ in MatMulOp(ctx: n.context) }
        b["BatchNormalization"] = { n, o in try BatchNormOp(n, o) }
        b["InstanceNormalization"] = { n, o in try InstanceNormOp(n, o) }
        b["LRN"] = { n, o in try LRNOp(n, o) }
        b["LayerNormalization"] = { n, o in try LayerNormOp(n, o) }
        b["Softmax"] = { n, o in try SoftmaxOp(n, o, log: false) }
        b["LogSoftmax"] = { n, o in try SoftmaxOp(n, o, log: true) }
        for k in ["ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin"] {
            b[k] = { n, o in try ReduceOp(n, o, ReduceOp.Kind(rawValue: k) ?? .mean) }
        }
        b["Where"] = { n, _ in SelectOp(ctx: n.context, kind: .where) }
        b["Equal"] = { n, _ in SelectOp(ctx: n.context, kind: .equal) }
        b["ArgMax"] = { n, _ in try ArgReduceOp(n, max: true) }
        b["ArgMin"] = { n, _ in try ArgReduceOp(n, max: false) }
        b["Einsum"] = { n, o in try EinsumOp(n, o) }
        b["Pad"] = { n, o in try PadOp(n, o) }
        b["Resize"] = { n, o in try ResizeOp(n, o) }
        b["Upsample"] = { n, o in try ResizeOp(n, o) }
        b["Reshape"] = { n, _ in try ReshapeOp(n) }
        b["Flatten"] = { n, _ in try FlattenOp(n) }
        b["Squeeze"] = { n, _ in SqueezeOp(ctx: n.context, node: n) }
        b["Unsqueeze"] = { n, _ in UnsqueezeOp(ctx: n.context, node: n) }
        b["Transpose"] = { n, _ in try TransposeOp(n) }
        b["Concat"] = { n, _ in try ConcatOp(n) }
        b["Split"] = { n, _ in try SplitOp(n) }
        b["Slice"] = { n, o in SliceOp(n, o) }
        b["Gather"] = { n, _ in try GatherOp(n) }
        b["Expand"] = { n, _ in ExpandOp(ctx: n.context) }
        b["Tile"] = { n, _ in TileOp(ctx: n.context) }
        b["Shape"] = { n, _ in try ShapeOfOp(n) }
        b["Cast"] = { n, _ in try CastOp(n) }
        b["Constant"] = { n, _ in try ConstantOp(n) }
        b["ConstantOfShape"] = { n, _ in try ConstantOfShapeOp(n) }
        return b
    }()

    public static var supportedOpTypes: [String] { builders.keys.sorted() }

    public static func supports(opType: String, domain: String, opset: Int) -> Bool {
        (domain.isEmpty || domain == "ai.onnx") && builders[opType] != nil
    }

    public static func makeOperator(_ node: Node, opset: Int) throws(EngineError) -> any Operator {
        guard supports(opType: node.opType, domain: node.domain, opset: opset), let b = builders[node.opType] else {
            throw .unsupportedOps([(node.opType, node.domain, [node.name])], opset: opset)
        }
        do {
            return try b(node, opset)
        } catch let e as EngineError {
            throw e
        } catch {
            throw .invalidAttribute(node: node.name, opType: node.opType, attribute: "?", reason: "\(error)")
        }
    }
}
