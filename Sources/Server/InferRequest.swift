import Foundation
import HTTPTypes
import Tensor

/// A KServe V2 JSON inference request: `{"id"?, "inputs": [{"name", "shape", "datatype", "data"}],
/// "outputs"?: [{"name"}]}`. FP32 inputs only (the engine's input type); `data` flat or nested.
struct InferRequest {
    struct Input {
        var name: String
        var tensor: Tensor
    }

    var id: String?
    var inputs: [Input]
    /// Output names asked for; nil: all.
    var outputs: [String]?

    init(json: Data) throws(KServeError) {
        guard let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw KServeError(.badRequest, "the body is not a JSON object")
        }
        id = object["id"] as? String
        guard let list = object["inputs"] as? [[String: Any]], !list.isEmpty else {
            throw KServeError(.badRequest, "'inputs' must be a non-empty array of tensors")
        }
        inputs = []
        for (i, input) in list.enumerated() {
            guard let name = input["name"] as? String else { throw KServeError(.badRequest, "inputs[\(i)] has no 'name'") }
            guard let shape = input["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }) else {
                throw KServeError(.badRequest, "input '\(name)': 'shape' must be an array of non-negative integers")
            }
            guard (input["datatype"] as? String) == "FP32" else {
                throw KServeError(.badRequest, "input '\(name)': datatype must be FP32")
            }
            var values: [Float] = []
            guard Self.flatten(input["data"] as Any, into: &values) else {
                throw KServeError(.badRequest, "input '\(name)': 'data' must be an array of numbers (flat or nested)")
            }
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
            guard values.count == count else {
                throw KServeError(.badRequest, "input '\(name)': shape \(shape) needs \(count) values, got \(values.count)")
            }
            do { inputs.append(Input(name: name, tensor: try Tensor(shape: shape, values: values))) } catch {
                throw KServeError(.badRequest, "input '\(name)': \(error)")
            }
        }
        if let wanted = object["outputs"] as? [[String: Any]] {
            outputs = wanted.compactMap { $0["name"] as? String }
        }
    }

    static func flatten(_ value: Any, into values: inout [Float]) -> Bool {
        if let array = value as? [Any] {
            for element in array where !flatten(element, into: &values) { return false }
            return true
        }
        if let number = value as? NSNumber {
            values.append(number.floatValue)
            return true
        }
        return false
    }
}
