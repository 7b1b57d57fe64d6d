import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Models
import Server
import Tensor
import TestSupport
import Testing

/// The KServe V2 binary tensor extension (Triton's `binary_tensor_data`) over a real socket.
@Suite(.serialized) struct KServeBinaryTests {
    static let headerLength = HTTPField.Name("Inference-Header-Content-Length")!

    static func floats(_ values: [Float]) -> Data { values.withUnsafeBytes { Data($0) } }

    /// The JSON header followed by the raw tensors, and the header's length.
    static func body(_ header: [String: Any], _ tensors: [Data]) throws -> (Data, Int) {
        var data = try JSONSerialization.data(withJSONObject: header)
        let length = data.count
        for t in tensors { data.append(t) }
        return (data, length)
    }

    static func input(rows: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<(rows * 3 * 32 * 32)).map { _ in Float(rng.next() % 1000) / 500 - 1 }
    }

    @Test func binaryTensorsInAndOutEqualTheEngine() async throws {
        let server = try await TestServer(workers: 0)
        defer { server.remove() }
        let model = try #require(server.services.models.active(TinyModelRepository.name))
        let values = Self.input(rows: 2, seed: 11)
        let expected = try #require(try model.run(["input": try Tensor(shape: [2, 3, 32, 32], values: values)])["output"])
        let key = server.submitter
        try await server.inProcess { client in
            let meta = try await client.call("/v2", .get, key: key).json()
            #expect((meta["extensions"] as? [String])?.contains("binary_tensor_data") == true)

            // Binary in, binary out (asked per output).
            let (body, length) = try Self.body([
                "id": "b1",
                "inputs": [["name": "input", "shape": [2, 3, 32, 32], "datatype": "FP32",
                            "parameters": ["binary_data_size": values.count * 4]] as [String: Any]],
                "outputs": [["name": "output", "parameters": ["binary_data": true]] as [String: Any]],
            ], [Self.floats(values)])
            let answer = try await client.call("/v2/models/tiny/infer", .post, key: key,
                                               headers: [Self.headerLength: String(length), .contentType: "application/octet-stream"],
                                               body: body)
            #expect(answer.status == .ok, "\(String(buffer: answer.body))")
            let answerLength = try #require(answer.headers[Self.headerLength].flatMap { Int($0) })
            let bytes = Data(answer.body.readableBytesView)
            let header = try #require(try JSONSerialization.jsonObject(with: bytes.prefix(answerLength)) as? [String: Any])
            #expect(header["id"] as? String == "b1")
            let output = try #require((header["outputs"] as? [[String: Any]])?.first)
            #expect(output["name"] as? String == "output" && output["datatype"] as? String == "FP32")
            #expect(output["shape"] as? [Int] == expected.shape)
            #expect(output["data"] == nil)
            #expect((output["parameters"] as? [String: Any])?["binary_data_size"] as? Int == expected.byteCount)
            #expect(bytes.dropFirst(answerLength) == Self.floats(expected.floats()))

            // JSON in, every output binary (request-level binary_data_output).
            let jsonIn: [String: Any] = [
                "parameters": ["binary_data_output": true],
                "inputs": [["name": "input", "shape": [2, 3, 32, 32], "datatype": "FP32", "data": values.map(Double.init)] as [String: Any]],
            ]
            let second = try await client.call("/v2/models/tiny/infer", .post, key: key,
                                               body: try JSONSerialization.data(withJSONObject: jsonIn))
            #expect(second.status == .ok)
            let secondLength = try #require(second.headers[Self.headerLength].flatMap { Int($0) })
            #expect(Data(second.body.readableBytesView).dropFirst(secondLength) == Self.floats(expected.floats()))

            // Binary in, JSON out: no header on the answer.
            let (body3, length3) = try Self.body([
                "inputs": [["name": "input", "shape": [2, 3, 32, 32], "datatype": "FP32",
                            "parameters": ["binary_data_size": values.count * 4]] as [String: Any]],
            ], [Self.floats(values)])
            let third = try await client.call("/v2/models/tiny/infer", .post, key: key,
                                              headers: [Self.headerLength: String(length3)], body: body3)
            #expect(third.status == .ok && third.headers[Self.headerLength] == nil)
            let data = try #require((try third.json()["outputs"] as? [[String: Any]])?.first?["data"] as? [Any])
            #expect(data.compactMap { ($0 as? NSNumber)?.floatValue } == expected.floats())
        }
    }

    /// Every malformed request gets 400 with `{"error": ...}` naming the problem: never a 5xx.
    @Test func malformedBinaryRequestsAre400() async throws {
        let server = try await TestServer(workers: 0)
        defer { server.remove() }
        let key = server.submitter
        let good = Self.floats(Self.input(rows: 1, seed: 3))
        func input(_ parameters: [String: Any]? = nil, shape: [Int] = [1, 3, 32, 32], datatype: String = "FP32",
                   name: String = "input", data: [Double]? = nil) -> [String: Any] {
            var i: [String: Any] = ["name": name, "shape": shape, "datatype": datatype]
            if let parameters { i["parameters"] = parameters }
            if let data { i["data"] = data }
            return i
        }
        let size = ["binary_data_size": good.count]
        // (what, header value (nil: none; "auto": the JSON's length), body parts, expected words in the error)
        var cases: [(String, String?, [String: Any], [Data], String)] = [
            ("size not shape x 4", "auto", ["inputs": [input(["binary_data_size": 100])]], [Data(count: 100)], "needs 12288"),
            ("bytes missing", "auto", ["inputs": [input(size)]], [good.prefix(1000)], "only 1000"),
            ("bytes left over", "auto", ["inputs": [input(size)]], [good, Data(count: 8)], "8 byte(s)"),
            ("binary without header", nil, ["inputs": [input(size)]], [], "no Inference-Header-Content-Length"),
            ("data and binary", "auto", ["inputs": [input(size, data: [1])]], [good], "both"),
            ("FP16 for an FP32 input", "auto", ["inputs": [input(["binary_data_size": good.count / 2], datatype: "FP16")]],
             [good.prefix(good.count / 2)], "must be float32"),
            ("BYTES", nil, ["inputs": [input(datatype: "BYTES", data: [1])]], [], "not supported"),
            ("INT32 for an FP32 input", "auto", ["inputs": [input(size, datatype: "INT32")]], [good], "must be float32"),
            ("unknown input", "auto", ["inputs": [input(size, name: "nope")]], [good], "no input 'nope'"),
            ("wrong fixed dimension", "auto", ["inputs": [input(size, shape: [1, 3, 64, 16])]], [good], "dimension 2 must be 32"),
            ("unknown output", "auto", ["inputs": [input(size)], "outputs": [["name": "nope"]]], [good], "no output 'nope'"),
            ("binary_data not a flag", "auto",
             ["inputs": [input(size)], "outputs": [["name": "output", "parameters": ["binary_data": "yes"]] as [String: Any]]], [good],
             "true or false"),
            ("negative size", "auto", ["inputs": [input(["binary_data_size": -4])]], [], "non-negative integer"),
            ("empty tensor", nil, ["inputs": [input(shape: [0, 3, 32, 32], data: [])]], [], "no elements"),
            ("fractional INT8 value", nil, ["inputs": [input(shape: [1], datatype: "INT8", data: [1.5])]], [], "not a valid INT8"),
        ]
        cases.append(("header not a number", "abc", ["inputs": [input(size)]], [good], "non-negative integer"))
        cases.append(("header negative", "-5", ["inputs": [input(size)]], [good], "non-negative integer"))
        // (what, headers, body, expected words), made here: JSON objects are not Sendable.
        let requests: [(String, HTTPFields, Data, String)] = try cases.map { what, headerValue, header, tensors, words in
            let (body, length) = try Self.body(header, tensors)
            var headers: HTTPFields = [:]
            if let headerValue { headers[Self.headerLength] = headerValue == "auto" ? String(length) : headerValue }
            return (what, headers, body, words)
        }
        let (body, length) = try Self.body(["inputs": [input(size)]], [good])
        try await server.inProcess { client in
            for (what, headers, body, words) in requests {
                let r = try await client.call("/v2/models/tiny/infer", .post, key: key, headers: headers, body: body)
                #expect(r.status == .badRequest, "\(what): \(r.status) \(String(buffer: r.body))")
                let error = (try? r.json())?["error"] as? String ?? ""
                #expect(error.contains(words), "\(what): \(error)")
            }
            // Header lengths that do not fit the body, and a header that is not JSON.
            for (what, value) in [("too long", String(body.count + 1)), ("zero", "0"), ("cuts the JSON", String(length - 2))] {
                let r = try await client.call("/v2/models/tiny/infer", .post, key: key, headers: [Self.headerLength: value], body: body)
                #expect(r.status == .badRequest, "\(what): \(r.status)")
                #expect((try? r.json())?["error"] is String, "\(what)")
            }
            try await client.expectDocumented([("post", "/v2/models/{name}/infer", 400), ("post", "/v2/models/{name}/infer", 200)])
            let document = try await client.call("/openapi.json", .get, key: nil).json()
            let infer = (document["paths"] as? [String: [String: [String: Any]]])?["/v2/models/{name}/infer"]?["post"]
            let parameters = (infer?["parameters"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
            #expect(parameters.contains("Inference-Header-Content-Length") && parameters.contains("X-Request-Id"))
        }
    }
}
