import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobQueue
import Models
import Server
import TestSupport
import Testing

/// What the server appends to the audit trail of its data directory beyond jobs and reviews: the admin key
/// made at the first start, and model versions activated or refused by repository loads.
@Suite(.serialized) struct AuditEventsTests {
    @Test func bootstrapKeyIsAudited() async throws {
        let server = try await TestServer(workers: 0)
        defer { server.remove() }
        let rows = try await server.services.queue.audit.list()
        // The admin key of the first start, then the two keys TestServer makes.
        #expect(rows.map(\.kind) == [.keyCreated, .keyCreated, .keyCreated])
        #expect(rows.map { $0.details["name"] } == ["admin", "router", "dr"])
        #expect(rows.map { $0.details["role"] } == ["admin", "submitter", "reviewer"])
        let verification = try await server.services.queue.audit.verify()
        #expect(verification.problem == nil)
    }

    @Test func repositoryLoadAuditsActivationAndRefusal() async throws {
        let server = try await TestServer(workers: 0)
        defer { server.remove() }
        let root = server.services.configuration.modelsDirectory
        try await server.inProcess { client in
            // Version 2 while serving (verified, activated by the load), then version 3 whose manifest names the
            // wrong weights' digest (refused).
            _ = try ModelRepository.addVersion(root: root, modelFile: root.appendingPathComponent("tiny/1/model.onnx"),
                                               name: "tiny", manifest: root.appendingPathComponent("tiny/1/model.json"))
            let loaded = try await client.call("/v2/repository/models/tiny/load", .post, key: server.admin)
            #expect(loaded.status == .ok, "\(String(buffer: loaded.body))")
        }
        try await server.inProcess { client in
            let v3 = root.appendingPathComponent("tiny/3")
            try FileManager.default.copyItem(at: root.appendingPathComponent("tiny/2"), to: v3)
            var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: v3.appendingPathComponent("model.json"))) as? [String: Any])
            json["version"] = 3
            json["sha256"] = ["model.onnx": String(repeating: "0", count: 64)]
            try JSONSerialization.data(withJSONObject: json).write(to: v3.appendingPathComponent("model.json"))
            let refused = try await client.call("/v2/repository/models/tiny/load", .post, key: server.admin)
            #expect(refused.status == .ok, "\(String(buffer: refused.body))")
            // Nothing changed: no new rows.
            let again = try await client.call("/v2/repository/models/tiny/load", .post, key: server.admin)
            #expect(again.status == .ok)
        }
        var rows = try await server.services.queue.audit.list().filter { $0.kind.rawValue.hasPrefix("model.") }
        #expect(rows.map(\.kind) == [.modelActivated, .modelRefused], "\(rows)")
        #expect(rows.map(\.subject) == ["tiny:2", "tiny:3"])
        #expect(rows[0].details["previous"] == "1" && rows[0].details["trigger"] == "repository load")
        #expect(rows[0].details["sha256"] == server.services.models.model("tiny", version: 2)?.sha256)
        #expect(rows[1].details["reason"]?.isEmpty == false && rows[1].details["trigger"] == "repository load")

        // A restart on the same directories reloads everything: what the trail already holds adds no rows.
        let restarted = try await ServerServices(configuration: server.services.configuration)
        _ = await buildApplication(restarted)
        #expect(restarted.models.active("tiny")?.version == 2)
        rows = try await restarted.queue.audit.list().filter { $0.kind.rawValue.hasPrefix("model.") }
        #expect(rows.count == 2, "\(rows)")
        let verification = try await restarted.queue.audit.verify()
        #expect(verification.problem == nil)
    }
}
