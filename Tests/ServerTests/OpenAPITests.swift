import Foundation
import HTTPTypes
import Server
import Testing

/// `/openapi.json` declares every templated path segment as a required path parameter (OpenAPI 3.1).
@Suite(.serialized) struct OpenAPITests {
    @Test func everyTemplatedSegmentIsARequiredPathParameter() async throws {
        let server = try await TestServer(workers: 0)
        defer { server.remove() }
        try await server.live { client in
            let document = try await client.call("/openapi.json", .get, key: nil).json()
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
            var templated = 0
            for (path, operations) in paths {
                let names = path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }
                    .map { String($0.dropFirst().dropLast()) }
                templated += names.isEmpty ? 0 : 1
                for (method, operation) in operations {
                    let declared = (operation["parameters"] as? [[String: Any]] ?? []).filter { $0["in"] as? String == "path" }
                    #expect(Set(declared.compactMap { $0["name"] as? String }) == Set(names), "\(method) \(path)")
                    #expect(declared.count == names.count, "\(method) \(path): a path parameter declared twice")
                    for p in declared {
                        #expect(p["required"] as? Bool == true, "\(method) \(path) \(p)")
                        let type = (p["schema"] as? [String: Any])?["type"] as? String
                        #expect(type == (p["name"] as? String == "index" ? "integer" : "string"), "\(method) \(path) \(p)")
                    }
                }
            }
            // The routes with ids, model names, versions, indexes and study UIDs are all there.
            #expect(templated >= 10, "\(paths.keys.sorted())")
            let overlay = paths["/v1/jobs/{id}/images/{index}/overlay.png"]?["get"]?["parameters"] as? [[String: Any]]
            #expect(overlay?.compactMap { $0["in"] as? String == "path" ? $0["name"] as? String : nil } == ["id", "index"])
        }
    }
}
