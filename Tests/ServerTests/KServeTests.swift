import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Models
import Server
import Tensor
import TestSupport
import Testing

/// KServe V2 over a real socket: metadata from the model, JSON infer equal to the engine's direct output.
@Suite(.serialized) struct KServeTests {
    @Test func metadataAndInferMatchTheEngine() async throws {
        let server = try await TestServer(workers: 0)
        defer { server.remove() }
        let model = try #require(server.services.models.active(TinyModelRepository.name))
        var rng = SeededGenerator(seed: 7)
        let values = (0..<(2 * 3 * 32 * 32)).map { _ in Float(rng.next() % 1000) / 500 - 1 }
        let direct = try model.run(["input": try Tensor(shape: [2, 3, 32, 32], values: values)])
        let expected = try #require(direct["output"]).floats()
        let key = server.submitter
        try await server.inProcess { client in
            let meta = try await client.call("/v2/models/tiny", .get, key: key).json()
            #expect(meta["platform"] as? String == "medinfer_onnx")
            #expect((meta["inputs"] as? [[String: Any]])?.first?["name"] as? String == "input")
            #expect(try await client.call("/v2/models/tiny/versions/1/ready", .get, key: key).status == .ok)
            let missing = try await client.call("/v2/models/nope", .get, key: key)
            #expect(missing.status == .notFound)
            #expect((try missing.json()["error"]) is String)

            let request: [String: Any] = ["id": "r1", "inputs": [["name": "input", "shape": [2, 3, 32, 32], "datatype": "FP32",
                                                                  "data": values.map(Double.init)] as [String: Any]]]
            let body = try JSONSerialization.data(withJSONObject: request)
            let answer = try await client.call("/v2/models/tiny/infer", .post, key: key,
                                               headers: [.contentType: "application/json"], body: body)
            #expect(answer.status == .ok, "\(String(buffer: answer.body))")
            let object = try answer.json()
            #expect(object["id"] as? String == "r1")
            let output = try #require((object["outputs"] as? [[String: Any]])?.first)
            #expect(output["name"] as? String == "output")
            #expect(output["datatype"] as? String == "FP32")
            let got = try #require(output["data"] as? [Any]).compactMap { ($0 as? NSNumber)?.floatValue }
            #expect(got == expected)

            let bad = try await client.call("/v2/models/tiny/infer", .post, key: key, body: Data("{\"inputs\": 3}".utf8))
            #expect(bad.status == .badRequest)
            #expect((try bad.json()["error"]) is String)
        }
    }
}
