/// Errors reading an ONNX file; each names the file, tensor, node or attribute concerned.
public enum ONNXError: Error, Sendable, CustomStringConvertible {
    case io(path: String, reason: String)
    /// The bytes are not a valid ModelProto.
    case invalidProtobuf(reason: String)
    case unsupportedIRVersion(Int)
    case unsupportedOpset(domain: String, version: Int)
    case invalidTensor(name: String, reason: String)
    case unsupportedDataType(name: String, dataType: Int)
    case externalData(name: String, reason: String)
    case unsupportedAttribute(node: String, opType: String, attribute: String, reason: String)
    case invalidGraph(reason: String)

    public var description: String {
        switch self {
        case let .io(path, reason): return "\(path): \(reason)"
        case let .invalidProtobuf(reason): return "not a valid ONNX model: \(reason)"
        case let .unsupportedIRVersion(v):
            return "ONNX IR version \(v) is not supported (\(ONNXModel.supportedIRVersions.lowerBound)...\(ONNXModel.supportedIRVersions.upperBound))"
        case let .unsupportedOpset(domain, v):
            return "opset \(v) of domain '\(domain.isEmpty ? "ai.onnx" : domain)' is not supported "
                + "(\(ONNXModel.supportedOpsets.lowerBound)...\(ONNXModel.supportedOpsets.upperBound))"
        case let .invalidTensor(name, reason): return "tensor '\(name)': \(reason)"
        case let .unsupportedDataType(name, t): return "tensor '\(name)': data type \(t) is not supported"
        case let .externalData(name, reason): return "tensor '\(name)', external data: \(reason)"
        case let .unsupportedAttribute(node, op, attr, reason):
            return "node \(node) (\(op)), attribute '\(attr)': \(reason)"
        case let .invalidGraph(reason): return "invalid graph: \(reason)"
        }
    }
}
