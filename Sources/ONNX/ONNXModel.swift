public import Engine
public import Foundation
import SwiftProtobuf
public import Tensor

/// Loads ONNX models (IR 3...13, default-domain opsets 7...27: what ONNX Runtime 1.32 and onnx 1.22 accept)
/// into the engine's graph IR. Opsets 22 to 27 changed none of the semantics of the ops we run (they add
/// element types: bfloat16, float8, int4), so the builders need no new cases for them.
public enum ONNXModel {
    public static let supportedIRVersions = 3...13
    public static let supportedOpsets = 7...27

    /// Reads `url`; external data files are resolved relative to its folder.
    public static func load(contentsOf url: URL) throws(ONNXError) -> Graph {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw .io(path: url.path, reason: (error as NSError).localizedDescription)
        }
        return try load(data: data, baseDirectory: url.deletingLastPathComponent())
    }

    /// Parses model bytes; `baseDirectory` is where external data files are looked up (nil: refused).
    public static func load(data: Data, baseDirectory: URL?) throws(ONNXError) -> Graph {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw .invalidProtobuf(reason: "\(error)")
        }
        let ir = Int(model.irVersion)
        guard supportedIRVersions.contains(ir) else { throw .unsupportedIRVersion(ir) }
        var opset = 0
        for entry in model.opsetImport where entry.domain.isEmpty || entry.domain == "ai.onnx" {
            opset = Int(entry.version)
        }
        guard supportedOpsets.contains(opset) else { throw .unsupportedOpset(domain: "", version: opset) }
        let g = model.graph
        var initializers: [String: Tensor] = [:]
        for t in g.initializer {
            initializers[t.name] = try TensorDecoding.tensor(t, baseDirectory: baseDirectory)
        }
        var nodes: [Node] = []
        nodes.reserveCapacity(g.node.count)
        for (i, n) in g.node.enumerated() {
            let name = n.name.isEmpty ? "\(n.opType)_\(i)" : n.name
            var attributes: [String: Attribute] = [:]
            for a in n.attribute {
                attributes[a.name] = try attribute(a, node: name, opType: n.opType, baseDirectory: baseDirectory)
            }
            nodes.append(Node(name: name, opType: n.opType, domain: n.domain == "ai.onnx" ? "" : n.domain,
                              inputs: n.input, outputs: n.output, attributes: attributes))
        }
        // IR < 4 lists initializers among the inputs too: they are constants, not caller inputs.
        let inputs = try g.input.filter { initializers[$0.name] == nil }.map(valueInfo)
        let outputs = try g.output.map(valueInfo)
        return Graph(name: g.name, nodes: nodes, inputs: inputs, outputs: outputs, initializers: initializers, opset: opset)
    }

    static func valueInfo(_ v: Onnx_ValueInfoProto) throws(ONNXError) -> ValueInfo {
        let tt = v.type.tensorType
        let dtype = try TensorDecoding.dtype(Int(tt.elemType), name: v.name)
        let shape: [Dim]? = tt.hasShape
            ? tt.shape.dim.map { d in d.dimParam.isEmpty && d.dimValue > 0 ? .fixed(Int(d.dimValue)) : .symbolic(d.dimParam.isEmpty ? "?" : d.dimParam) }
            : nil
        return ValueInfo(name: v.name, dtype: dtype, shape: shape)
    }

    static func attribute(_ a: Onnx_AttributeProto, node: String, opType: String, baseDirectory: URL?)
        throws(ONNXError) -> Attribute
    {
        switch a.type {
        case .float: return .float(a.f)
        case .int: return .int(Int(a.i))
        case .string: return .string(String(decoding: a.s, as: UTF8.self))
        case .tensor: return .tensor(try TensorDecoding.tensor(a.t, baseDirectory: baseDirectory))
        case .floats: return .floats(a.floats)
        case .ints: return .ints(a.ints.map { Int($0) })
        case .strings: return .strings(a.strings.map { String(decoding: $0, as: UTF8.self) })
        default:
            throw .unsupportedAttribute(node: node, opType: opType, attribute: a.name,
                                        reason: "attribute type \(a.type) (graphs, sparse tensors, type protos) is not supported")
        }
    }
}

extension ONNXModel {
    /// Decodes a serialized TensorProto (the `input_N.pb` / `output_N.pb` files of the ONNX backend tests).
    public static func tensor(fromTensorProto data: Data) throws(ONNXError) -> (name: String, tensor: Tensor) {
        let proto: Onnx_TensorProto
        do {
            proto = try Onnx_TensorProto(serializedBytes: data)
        } catch {
            throw .invalidProtobuf(reason: "\(error)")
        }
        return (proto.name, try TensorDecoding.tensor(proto, baseDirectory: nil))
    }
}
