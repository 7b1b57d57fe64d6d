import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Models
import Server
import Tensor
import TestSupport
import Testing

/// KServe V2 infer through the worker's batcher, and the repository extension's unload/load.
@Suite(.serialized) struct KServeBatchingTests {
    static func request(rows: Int, seed: UInt64) -> (body: Data, values: [Float]) {
        var rng = SeededGenerator(seed: seed)
        let values = (0..<(rows * 3 * 32 * 32)).map { _ in Float(rng.next() % 1000) / 500 - 1 }
        let object: [String: Any] = ["inputs": [["name": "input", "shape": [rows, 3, 32, 32], "datatype": "FP32",
                                                 "data": values.map(Double.init)] as [String: Any]]]
        return ((try? JSONSerialization.data(withJSONObject: object)) ?? Data(), values)
    }

    static func outputs(_ json: [String: Any]) -> [Float] {
        let data = ((json["outputs"] as? [[String: Any]])?.first?["data"] as? [Any]) ?? []
        return data.compactMap { ($0 as? NSNumber)?.floatValue }
    }

    /// Four concurrent requests (one image each) become one batch of four on the worker's engine thread;
    /// each answer equals the engine's answer for that request alone. The batch fills at `maxBatch`, so
    /// the long delay is never waited for (it only keeps a failure from passing unnoticed).
    @Test func concurrentInferRequestsShareOneBatch() async throws {
        let server = try await TestServer(workers: 1, maxBatch: 4, maxDelayMs: 10_000)
        defer { server.remove() }
        let model = try #require(server.services.models.active(TinyModelRepository.name))
        let requests = (0..<4).map { Self.request(rows: 1, seed: UInt64(100 + $0)) }
        let expected = try requests.map { r in
            try #require(try model.run(["input": try Tensor(shape: [1, 3, 32, 32], values: r.values)])["output"]).floats()
        }
        let key = server.submitter
        try await server.live { client in
            let answers = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
                for (i, r) in requests.enumerated() {
                    group.addTask {
                        let answer = try await client.callAlone("/v2/models/tiny/infer", .post, key: key, body: r.body)
                        #expect(answer.status == .ok, "request \(i): \(String(decoding: answer.data, as: UTF8.self))")
                        return (i, Self.outputs(try answer.json()))
                    }
                }
                var answers = [[Float]](repeating: [], count: 4)
                for try await (i, values) in group { answers[i] = values }
                return answers
            }
            for i in 0..<4 { #expect(answers[i] == expected[i], "request \(i)") }
            let metrics = try await client.metricsText()
            #expect(metricValue(metrics, "medinfer_batch_size_count{kind=\"infer\"}") == 1, "\(metrics)")
            #expect(metricValue(metrics, "medinfer_batch_size_sum{kind=\"infer\"}") == 4)
        }
    }

    /// Unload stops serving (ready false, infer 404, server not ready) while a request accepted before it
    /// still gets its answer; load verifies and serves again, and that request's batch completes.
    @Test func unloadStopsServingWithoutFailingRequestsInFlight() async throws {
        let server = try await TestServer(workers: 1, maxBatch: 2, maxDelayMs: 10_000)
        defer { server.remove() }
        let model = try #require(server.services.models.active(TinyModelRepository.name))
        let first = Self.request(rows: 1, seed: 1), later = Self.request(rows: 1, seed: 2)
        let expected = try [first, later].map { r in
            try #require(try model.run(["input": try Tensor(shape: [1, 3, 32, 32], values: r.values)])["output"]).floats()
        }
        let (admin, key) = (server.admin, server.submitter)
        try await server.live { client in
            // The first request waits in the batcher for a second one.
            let inFlight = Task { try await client.callAlone("/v2/models/tiny/infer", .post, key: key, body: first.body) }
            var waiting: Double?
            for _ in 0..<500 where waiting != 1 {
                waiting = metricValue(try await client.metricsText(), "medinfer_infer_waiting_requests")
                if waiting != 1 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(waiting == 1)

            let unload = try await client.call("/v2/repository/models/tiny/unload", .post, key: admin)
            #expect(unload.status == .ok, "\(String(buffer: unload.body))")
            let ready = try await client.call("/v2/models/tiny/ready", .get, key: key)
            #expect(ready.status == .badRequest)
            #expect(try ready.json()["ready"] as? Bool == false)
            #expect(try await client.call("/v2/models/tiny/versions/1/ready", .get, key: key).status == .badRequest)
            #expect(try await client.call("/v2/health/ready", .get, key: nil).status == .serviceUnavailable)
            let refused = try await client.call("/v2/models/tiny/infer", .post, key: key, body: later.body)
            #expect(refused.status == .notFound)
            #expect((try refused.json()["error"] as? String)?.contains("unloaded") == true)
            let index = try await client.call("/v2/repository/index", .post, key: admin)
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(index.body.readableBytesView)) as? [[String: Any]])
            #expect(entries.first?["state"] as? String == "UNAVAILABLE" && entries.first?["reason"] as? String == "unloaded")
            #expect(try await client.call("/v2/repository/models/nope/unload", .post, key: admin).status == .notFound)
            #expect(try await client.call("/v2/repository/models/tiny/unload", .post, key: key).status == .forbidden)

            let load = try await client.call("/v2/repository/models/tiny/load", .post, key: admin)
            #expect(load.status == .ok, "\(String(buffer: load.body))")
            #expect(try await client.call("/v2/models/tiny/ready", .get, key: key).status == .ok)
            #expect(try await client.call("/v2/health/ready", .get, key: nil).status == .ok)
            // The second request fills the batch the first one waited in: both are answered.
            let answer = try await client.callAlone("/v2/models/tiny/infer", .post, key: key, body: later.body)
            #expect(answer.status == .ok)
            #expect(Self.outputs(try answer.json()) == expected[1])
            let early = try await inFlight.value
            #expect(early.status == .ok)
            #expect(Self.outputs(try early.json()) == expected[0])
            try await client.expectDocumented([
                ("post", "/v2/repository/models/{name}/unload", 200), ("post", "/v2/repository/models/{name}/unload", 404),
                ("post", "/v2/repository/models/{name}/unload", 403), ("post", "/v2/repository/models/{name}/load", 200),
                ("get", "/v2/models/{name}/ready", 400), ("get", "/v2/models/{name}/versions/{version}/ready", 400),
                ("get", "/v2/health/ready", 503), ("post", "/v2/models/{name}/infer", 404),
            ])
        }
    }
}
