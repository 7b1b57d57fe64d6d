/// Errors from building, compiling or running a graph. Each names the node, op and attribute or input
/// involved: "node conv_3 (Conv), attribute 'pads': expected 4 values, got 2".
public enum EngineError: Error, Sendable, CustomStringConvertible {
    /// Ops the engine does not implement, every one of them: (op type, node names, opset).
    case unsupportedOps([(opType: String, domain: String, nodes: [String])], opset: Int)
    case invalidAttribute(node: String, opType: String, attribute: String, reason: String)
    case invalidInput(node: String, opType: String, input: Int, reason: String)
    case shapeMismatch(node: String, opType: String, reason: String)
    /// A graph-level problem (unknown value name, cycle, missing output...).
    case invalidGraph(reason: String)
    /// Caller-supplied inputs that do not match the model.
    case badRunInput(name: String, reason: String)
    /// An input that decides output shapes (Reshape's shape, Resize's sizes, ...) is a runtime value.
    /// `Model.run` then plans again with the given inputs' values as constants.
    case needsConstantInput(node: String, opType: String, input: Int)
    /// Weights, one value or a plan's intermediates need more bytes than `CompileOptions.memoryBudget`.
    case overMemoryBudget(what: String, bytes: Int, budget: Int)

    public var description: String {
        switch self {
        case let .unsupportedOps(ops, opset):
            let list = ops.map { op in
                "\(op.domain.isEmpty ? "" : op.domain + ".")\(op.opType) (nodes: \(op.nodes.prefix(5).joined(separator: ", "))\(op.nodes.count > 5 ? ", …" : ""))"
            }
            return "unsupported operators at opset \(opset): " + list.joined(separator: "; ")
        case let .invalidAttribute(node, op, attr, reason):
            return "node \(node) (\(op)), attribute '\(attr)': \(reason)"
        case let .invalidInput(node, op, input, reason):
            return "node \(node) (\(op)), input \(input): \(reason)"
        case let .shapeMismatch(node, op, reason):
            return "node \(node) (\(op)): \(reason)"
        case let .invalidGraph(reason):
            return "invalid graph: \(reason)"
        case let .badRunInput(name, reason):
            return "input '\(name)': \(reason)"
        case let .needsConstantInput(node, op, input):
            return "node \(node) (\(op)), input \(input): must be known when the plan is compiled (a constant or a foldable chain)"
        case let .overMemoryBudget(what, bytes, budget):
            return "\(what) needs \(bytes == .max ? "more than Int.max" : String(bytes)) bytes, over the memory budget of \(budget) bytes"
        }
    }
}
