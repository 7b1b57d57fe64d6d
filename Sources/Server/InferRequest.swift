import Foundation
import HTTPTypes
import Tensor

extension HTTPField.Name {
    /// The binary tensor extension: the length of the JSON header that starts the body; raw tensor bytes follow.
    static let inferenceHeaderContentLength = Self("Inference-Header-Content-Length")!
}

/// A KServe V2 inference request: `{"id"?, "parameters"?: {"binary_data_output"?}, "inputs": [{"name", "shape",
/// "datatype", "data" | "parameters": {"binary_data_size"}}], "outputs"?: [{"name", "parameters"?: {"binary_data"?}}]}`.
///
/// JSON tensors carry `data` (flat or nested, row-major). With the binary tensor extension (Triton's
/// `binary_tensor_data`) the body is that JSON, `Inference-Header-Content-Length` bytes long, followed by the raw
/// little-endian bytes of every input that has `parameters.binary_data_size`, in the order of `inputs`; each
/// size must be exactly shape × datatype size, and together they must use up the rest of the body.
/// Every malformed request is a `KServeError` 400 naming the input and the problem.
struct InferRequest {
    struct Input {
        var name: String
        var tensor: Tensor
    }

    /// An output asked for, and whether its data should come back as raw bytes.
    struct Output: Equatable {
        var name: String
        var binary: Bool
    }

    var id: String?
    var inputs: [Input]
    /// Outputs asked for, in order; nil: every output of the model.
    var outputs: [Output]?
    /// Request-level `parameters.binary_data_output`: outputs not listed come back as raw bytes.
    var binaryOutput = false

    /// Parses `body`; `headerLength` is the `Inference-Header-Content-Length` value when the header was sent.
    init(body: Data, headerLength: Int?) throws(KServeError) {
        let json: Data
        var binary: Data
        if let headerLength {
            guard headerLength > 0, headerLength <= body.count else {
                throw KServeError(.badRequest, "Inference-Header-Content-Length is \(headerLength) but the body has \(body.count) bytes")
            }
            json = body.prefix(headerLength)
            binary = body.dropFirst(headerLength)
        } else {
            json = body
            binary = Data()
        }
        guard let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw KServeError(.badRequest, headerLength == nil ? "the body is not a JSON object"
                              : "the first \(headerLength!) bytes (Inference-Header-Content-Length) are not a JSON object")
        }
        if let id = object["id"] {
            guard let id = id as? String else { throw KServeError(.badRequest, "'id' must be a string") }
            self.id = id
        }
        let parameters = try Self.parameters(object["parameters"], "the request")
        binaryOutput = try Self.flag(parameters["binary_data_output"], "parameters.binary_data_output")
        guard let list = object["inputs"] as? [[String: Any]], !list.isEmpty else {
            throw KServeError(.badRequest, "'inputs' must be a non-empty array of tensors")
        }
        inputs = []
        var names = Set<String>()
        for (i, input) in list.enumerated() {
            guard let name = input["name"] as? String else { throw KServeError(.badRequest, "inputs[\(i)] has no 'name'") }
            guard names.insert(name).inserted else { throw KServeError(.badRequest, "input '\(name)' is given twice") }
            let tensor = try Self.tensor(input, name: name, binary: &binary, headerSent: headerLength != nil)
            inputs.append(Input(name: name, tensor: tensor))
        }
        guard binary.isEmpty else {
            throw KServeError(.badRequest, "\(binary.count) byte(s) of binary data follow the JSON header that no input's "
                              + "parameters.binary_data_size accounts for")
        }
        if let wanted = object["outputs"] {
            guard let wanted = wanted as? [[String: Any]] else {
                throw KServeError(.badRequest, "'outputs' must be an array of {\"name\": ...} objects")
            }
            var outputs: [Output] = []
            for (i, output) in wanted.enumerated() {
                guard let name = output["name"] as? String else { throw KServeError(.badRequest, "outputs[\(i)] has no 'name'") }
                let p = try Self.parameters(output["parameters"], "output '\(name)'")
                let binary = try p["binary_data"].map { v throws(KServeError) in
                    try Self.flag(v, "output '\(name)': parameters.binary_data")
                }
                outputs.append(Output(name: name, binary: binary ?? binaryOutput))
            }
            self.outputs = outputs
        }
    }

    /// The inputs by name, as the engine takes them.
    var tensors: [String: Tensor] {
        Dictionary(inputs.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    }

    /// One input: shape and datatype, then its values from `data` or from the front of `binary`.
    static func tensor(_ input: [String: Any], name: String, binary: inout Data, headerSent: Bool) throws(KServeError) -> Tensor {
        guard let shape = input["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }) else {
            throw KServeError(.badRequest, "input '\(name)': 'shape' must be an array of non-negative integers")
        }
        guard let text = input["datatype"] as? String else { throw KServeError(.badRequest, "input '\(name)' has no 'datatype'") }
        guard let dtype = KServeDatatype.dtype(text) else {
            throw KServeError(.badRequest, "input '\(name)': datatype \(text) is not supported (use one of "
                              + "\(KServeDatatype.supported.joined(separator: ", ")))")
        }
        var count = 1
        for d in shape {
            let (m, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw KServeError(.badRequest, "input '\(name)': shape \(shape) is too large") }
            count = m
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw KServeError(.badRequest, "input '\(name)': shape \(shape) is too large") }
        let parameters = try Self.parameters(input["parameters"], "input '\(name)'")
        if let size = parameters["binary_data_size"] {
            guard headerSent else {
                throw KServeError(.badRequest, "input '\(name)' has parameters.binary_data_size but the request has no "
                                  + "Inference-Header-Content-Length header")
            }
            guard input["data"] == nil else {
                throw KServeError(.badRequest, "input '\(name)' has both 'data' and parameters.binary_data_size")
            }
            guard let size = (size as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }), size >= 0 else {
                throw KServeError(.badRequest, "input '\(name)': parameters.binary_data_size must be a non-negative integer")
            }
            guard size == bytes else {
                throw KServeError(.badRequest, "input '\(name)': binary_data_size is \(size) bytes but shape \(shape) of "
                                  + "\(text) needs \(bytes)")
            }
            guard binary.count >= size else {
                throw KServeError(.badRequest, "input '\(name)': binary_data_size is \(size) bytes but only \(binary.count) "
                                  + "byte(s) of binary data are left in the body")
            }
            let raw = binary.prefix(size)
            binary = binary.dropFirst(size)
            do {
                var tensor = try Tensor(uninitialized: dtype, shape: shape)
                tensor.withUnsafeMutableBytes { out in _ = raw.copyBytes(to: out) }
                return tensor
            } catch { throw KServeError(.badRequest, "input '\(name)': \(error)") }
        }
        guard let data = input["data"] else { throw KServeError(.badRequest, "input '\(name)' has no 'data'") }
        var numbers: [NSNumber] = []
        guard flatten(data, into: &numbers) else {
            throw KServeError(.badRequest, "input '\(name)': 'data' must be an array of numbers (flat or nested)")
        }
        guard numbers.count == count else {
            throw KServeError(.badRequest, "input '\(name)': shape \(shape) needs \(count) values, got \(numbers.count)")
        }
        return try KServeDatatype.tensor(numbers, dtype: dtype, shape: shape, input: name)
    }

    /// `parameters` of the request, an input or an output: absent or an object.
    static func parameters(_ value: Any?, _ owner: String) throws(KServeError) -> [String: Any] {
        guard let value else { return [:] }
        guard let object = value as? [String: Any] else { throw KServeError(.badRequest, "\(owner): 'parameters' must be an object") }
        return object
    }

    static func flag(_ value: Any?, _ what: String) throws(KServeError) -> Bool {
        guard let value else { return false }
        guard let flag = value as? Bool else { throw KServeError(.badRequest, "\(what) must be true or false") }
        return flag
    }

    static func flatten(_ value: Any, into values: inout [NSNumber]) -> Bool {
        if let array = value as? [Any] {
            for element in array where !flatten(element, into: &values) { return false }
            return true
        }
        if let number = value as? NSNumber {
            values.append(number)
            return true
        }
        return false
    }
}
