import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Models
import Server
import TestSupport
import Testing

/// A server on the tiny fixture model with a temporary data directory, its admin key and keys of the
/// other roles.
struct TestServer: Sendable {
    let services: ServerServices
    /// The temporary folder holding `Models/` and `data/`.
    let folder: URL
    let admin: String
    let submitter: String
    let reviewer: String

    init(workers: Int = 1, maxBodyBytes: Int64 = 2 << 30, maxQueuedImages: Int = 10_000,
         configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        let repository = try TinyModelRepository(batching: (maxBatch: 4, maxDelayMs: 0))
        folder = repository.root.deletingLastPathComponent()
        var c = ServerConfiguration()
        c.port = 0
        c.dataDirectory = folder.appendingPathComponent("data", isDirectory: true)
        c.modelsDirectory = repository.root
        c.workers = workers
        c.maxBodyBytes = maxBodyBytes
        c.maxQueuedImages = maxQueuedImages
        configure(&c)
        services = try ServerServices(configuration: c)
        services.models.reload()
        admin = try #require(try services.keys.bootstrapAdminKey())
        submitter = try services.keys.create(name: "router", role: .submitter).key
        reviewer = try services.keys.create(name: "dr", role: .reviewer).key
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// Runs `body` against the application over a real socket.
    func live(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = buildApplication(services)
        try await app.test(.live, body)
    }

    static func png(_ i: Int = 0) throws -> Data { try Data(contentsOf: TinyModelRepository.images[i]) }
}

extension TestClientProtocol {
    /// A request with `Authorization: Bearer key` (none when nil).
    func call(_ uri: String, _ method: HTTPRequest.Method, key: String?, headers: HTTPFields = [:],
              body: Data? = nil) async throws -> TestResponse {
        var headers = headers
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
    }

    /// Polls `GET /v1/jobs/{id}` until it is finished (at most ~30 s).
    func waitForJob(_ id: String, key: String) async throws -> [String: Any] {
        for _ in 0..<600 {
            let response = try await call("/v1/jobs/\(id)", .get, key: key)
            let job = try response.json()
            if let s = job["status"] as? String, ["succeeded", "failed", "cancelled"].contains(s) { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("job \(id) did not finish")
        return [:]
    }
}

extension TestResponse {
    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
    }

    /// Checks a problem+json answer with `status`, returning its detail.
    @discardableResult
    func expectProblem(_ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        #expect(self.status == status, "\(String(buffer: body))", sourceLocation: sourceLocation)
        #expect(headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let object = try json()
        #expect(object["status"] as? Int == Int(status.code), sourceLocation: sourceLocation)
        #expect(object["title"] is String && object["type"] is String, sourceLocation: sourceLocation)
        return object["detail"] as? String ?? ""
    }
}
