import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobQueue
import Server
import TestSupport
import Testing

/// `--role api|worker`: what each node serves and what it refuses, in process over a real socket.
@Suite struct ServerRoleTests {
    static let inferBody: Data = {
        let request: [String: Any] = ["inputs": [["name": "input", "shape": [1, 3, 32, 32], "datatype": "FP32",
                                                  "data": [Double](repeating: 0.5, count: 3 * 32 * 32)] as [String: Any]]]
        return (try? JSONSerialization.data(withJSONObject: request)) ?? Data()
    }()

    @Test func anApiNodeTakesJobsRunsNoWorkersAndLeavesInferenceToWorkerNodes() async throws {
        // Asked for two workers, an api node still runs none.
        let server = try await TestServer(workers: 2) { $0.role = .api }
        defer { server.remove() }
        let key = server.submitter
        try await server.inProcess { client in
            let meta = try await client.call("/v2", .get, key: key).json()
            #expect(meta["role"] as? String == "api")
            let ready = try await client.call("/v2/health/ready", .get, key: nil)
            let readyRole = try ready.json()["role"] as? String
            #expect(ready.status == .ok && readyRole == "api")

            let infer = try await client.call("/v2/models/tiny/infer", .post, key: key,
                                              headers: [.contentType: "application/json"], body: Self.inferBody)
            #expect(infer.status == .serviceUnavailable)
            let error = try #require(try infer.json()["error"] as? String)
            #expect(error.contains("--role worker"), "\(error)")
            // Still 401 first: the role is no reason to skip authentication.
            #expect(try await client.call("/v2/models/tiny/infer", .post, key: nil, body: Self.inferBody).status == .unauthorized)

            let submitted = try await client.call("/v1/jobs", .post, key: key, headers: [.contentType: "image/png"],
                                                  body: try TestServer.png())
            #expect(submitted.status == .accepted, "\(String(buffer: submitted.body))")
            let id = try #require(try submitted.json()["id"] as? String)
            try await client.expectDocumented([("post", "/v2/models/{name}/infer", 503)])
            // No worker in this process: the job is still queued, for a worker node to claim.
            try await Task.sleep(for: .milliseconds(300))
            await #expect(try server.services.queue.status(id).status == .queued)
        }
    }

    @Test func aWorkerNodeInfersAndRefusesTheJobAPIWith503() async throws {
        let server = try await TestServer(workers: 1) { $0.role = .worker }
        defer { server.remove() }
        let key = server.submitter
        try await server.inProcess { client in
            #expect(try await client.call("/v2", .get, key: key).json()["role"] as? String == "worker")
            let infer = try await client.call("/v2/models/tiny/infer", .post, key: key,
                                              headers: [.contentType: "application/json"], body: Self.inferBody)
            #expect(infer.status == .ok, "\(String(buffer: infer.body))")

            for (uri, method) in [("/v1/jobs", HTTPRequest.Method.post), ("/v1/jobs", .get), ("/v1/jobs/abc", .get),
                                  ("/v1/reviews/worklist", .get), ("/dicomweb/studies", .post)] {
                let answer = try await client.call(uri, method, key: server.admin, headers: [.contentType: "image/png"],
                                                   body: method == .post ? try TestServer.png() : nil)
                let detail = try answer.expectProblem(.serviceUnavailable)
                #expect(detail.contains("--role api or all"), "\(method) \(uri): \(detail)")
                #expect(try answer.json()["role"] as? String == "worker")
            }
            try await client.expectDocumented([("post", "/v1/jobs", 503), ("get", "/v1/jobs/{id}", 503),
                                               ("post", "/dicomweb/studies", 503)])
            // Authentication still comes first, and health and metrics are served.
            #expect(try await client.call("/v1/jobs", .get, key: nil).status == .unauthorized)
            #expect(try await client.call("/v2/health/ready", .get, key: nil).status == .ok)
            #expect(try await client.call("/metrics", .get, key: nil).status == .ok)
        }
        await #expect(try server.services.queue.list().jobs.isEmpty)
    }

    @Test func theRoleComesFromMEDINFER_ROLE() throws {
        #expect(try ServerConfiguration(environment: [:]).role == .all)
        #expect(try ServerConfiguration(environment: ["MEDINFER_ROLE": "worker"]).role == .worker)
        #expect(try ServerConfiguration(environment: ["MEDINFER_ROLE": "api"]).workerCount == 0)
        #expect(throws: ServerConfigurationError.self) { try ServerConfiguration(environment: ["MEDINFER_ROLE": "front"]) }
    }
}
