import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Server
import Testing

/// Every route refuses a missing or wrong key (401) and the wrong role (403); health is open.
@Suite(.serialized) struct AuthTests {
    @Test func keysAndRoles() async throws {
        let server = try await TestServer(workers: 0)
        defer { server.remove() }
        try await server.inProcess { client in
            let routes: [(String, HTTPRequest.Method)] = [
                ("/v1/jobs", .post), ("/v1/jobs", .get), ("/v1/jobs/x", .get), ("/v1/jobs/x", .delete),
                ("/v1/jobs/x/result", .get), ("/v1/jobs/x/images/0/overlay.png", .get),
                ("/v1/jobs/x/reviews", .post), ("/v1/jobs/x/reviews", .get), ("/v1/reviews/worklist", .get),
                ("/v2", .get), ("/v2/models/tiny", .get), ("/v2/models/tiny/ready", .get), ("/v2/models/tiny/infer", .post),
                ("/v2/repository/index", .post), ("/v2/repository/models/tiny/load", .post),
                ("/v2/repository/models/tiny/unload", .post),
            ]
            let document = try await client.call("/openapi.json", .get, key: nil).json()
            let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
            for (uri, method) in routes {
                // The document lists the route (ids as templates) with its 401.
                let template = uri.replacingOccurrences(of: "/jobs/x", with: "/jobs/{id}")
                    .replacingOccurrences(of: "/images/0/", with: "/images/{index}/")
                    .replacingOccurrences(of: "/models/tiny", with: "/models/{name}")
                let responses = paths[template]?[method.rawValue.lowercased()]?["responses"] as? [String: Any]
                #expect(responses?["401"] != nil, "\(method) \(template) in openapi.json")
                for key in [nil, "mi_000000000000_" + String(repeating: "0", count: 64), "garbage"] {
                    let r = try await client.call(uri, method, key: key)
                    #expect(r.status == .unauthorized, "\(method) \(uri) key \(key ?? "none")")
                    if uri.hasPrefix("/v2") {
                        #expect((try? r.json()["error"]) is String, "\(uri)")
                    } else {
                        #expect(r.headers[.contentType] == "application/problem+json", "\(uri)")
                    }
                }
            }
            // Admin routes refuse submitters and reviewers.
            for key in [server.submitter, server.reviewer] {
                #expect(try await client.call("/v2/repository/index", .post, key: key).status == .forbidden)
            }
            #expect(try await client.call("/v2/repository/index", .post, key: server.admin).status == .ok)
            // Reviewer routes refuse submitters (403 naming the role) and answer reviewers and admins.
            for (uri, method) in [("/v1/reviews/worklist", HTTPRequest.Method.get), ("/v1/jobs/x/reviews", .get),
                                  ("/v1/jobs/x/reviews", .post)] {
                let detail = try await client.call(uri, method, key: server.submitter).expectProblem(.forbidden)
                #expect(detail.contains("reviewer role") && detail.contains("'router' has submitter"), "\(detail)")
            }
            for key in [server.reviewer, server.admin] {
                let worklist = try await client.call("/v1/reviews/worklist", .get, key: key)
                #expect(worklist.status == .ok && String(buffer: worklist.body) == "[]", "\(String(buffer: worklist.body))")
                try await client.call("/v1/jobs/x/reviews", .get, key: key).expectProblem(.notFound)
            }
            try await client.call("/v1/reviews/worklist?all=maybe", .get, key: server.reviewer).expectProblem(.badRequest)
            // Revoked keys stop working.
            let made = try await server.services.keys.create(name: "temp", role: .submitter)
            #expect(try await client.call("/v2", .get, key: made.key).status == .ok)
            try await server.services.keys.revoke(id: made.record.id)
            #expect(try await client.call("/v2", .get, key: made.key).status == .unauthorized)
            // Open routes.
            #expect(try await client.call("/v2/health/live", .get, key: nil).status == .ok)
            #expect(try await client.call("/v2/health/ready", .get, key: nil).status == .ok)
            let metrics = try await client.call("/metrics", .get, key: nil)
            #expect(metrics.status == .ok)
            let text = String(buffer: metrics.body)
            #expect(text.contains("medinfer_http_requests_total"))
            #expect(text.contains("medinfer_jobs{state=\"queued\"}"))
        }
    }
}
