extension Graph {
    /// Structural checks every graph passes before the passes or a plan touch it, so that neither can meet
    /// a node without its inputs or outputs: each node has a named first output and the number of inputs
    /// its op takes (`Graph.arity`); every input is a graph input, an initializer or an output of an
    /// earlier node (nodes in topological order, so no cycle); no value is written twice; every graph
    /// output is written.
    public func validate() throws(EngineError) {
        var defined = Set(inputs.map(\.name)).union(initializers.keys)
        for n in nodes {
            guard let first = n.outputs.first, !first.isEmpty else { throw .invalidGraph(reason: "\(n) has no output") }
            if let (least, most) = Graph.arity[n.opType], n.domain.isEmpty {
                let given = n.inputs.count
                guard given >= least, given <= most else {
                    let range = least == most ? "\(least)" : most == .max ? "at least \(least)" : "\(least) to \(most)"
                    throw .invalidGraph(reason: "\(n) has \(given) input\(given == 1 ? "" : "s"), the op takes \(range)")
                }
            }
            for (i, input) in n.inputs.enumerated() where !input.isEmpty && !defined.contains(input) {
                throw .invalidGraph(reason: "\(n), input \(i) '\(input)' is produced by no earlier node, initializer or graph input "
                                    + "(nodes out of order, a cycle, or a missing value)")
            }
            for output in n.outputs where !output.isEmpty {
                guard defined.insert(output).inserted else { throw .invalidGraph(reason: "\(n) writes '\(output)', which is already defined") }
            }
        }
        for o in outputs where !defined.contains(o.name) {
            throw .invalidGraph(reason: "graph output '\(o.name)' is never produced")
        }
    }

    /// Inputs each op takes (optional ones included; "" counts as given-but-absent), by ONNX op type.
    static let arity: [String: (Int, Int)] = {
        var a: [String: (Int, Int)] = [:]
        for op in ["Relu", "LeakyRelu", "Elu", "Selu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Exp", "Log", "Sqrt",
                   "Abs", "Neg", "Floor", "Ceil", "Reciprocal", "Softplus", "Softsign", "Erf", "Gelu", "Identity", "Flatten",
                   "Transpose", "Shape", "Cast", "ConstantOfShape", "Softmax", "LogSoftmax", "LRN", "MaxPool",
                   "AveragePool", "GlobalMaxPool", "GlobalAveragePool"] { a[op] = (1, 1) }
        for op in ["Add", "Sub", "Mul", "Div", "Pow", "PRelu", "MatMul", "Gather", "Expand", "Tile", "Reshape"] { a[op] = (2, 2) }
        for op in ["Min", "Max", "Sum", "Mean", "Concat", "Einsum"] { a[op] = (1, .max) }
        for op in ["ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "Squeeze", "Unsqueeze", "Split", "Upsample"] { a[op] = (1, 2) }
        a["Clip"] = (1, 3); a["Dropout"] = (1, 3)
        a["Conv"] = (2, 3); a["ConvTranspose"] = (2, 3); a["Gemm"] = (2, 3); a["LayerNormalization"] = (2, 3)
        a["BatchNormalization"] = (5, 5); a["InstanceNormalization"] = (3, 3)
        a["Where"] = (3, 3); a["Equal"] = (2, 2); a["ArgMax"] = (1, 1); a["ArgMin"] = (1, 1)
        a["Pad"] = (1, 4); a["Resize"] = (1, 4); a["Slice"] = (1, 5); a["Constant"] = (0, 0)
        return a
    }()
}
