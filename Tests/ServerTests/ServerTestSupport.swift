import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobQueue
import Logging
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

    /// `maxBatch`/`maxDelayMs` override the manifest's batching (jobs and infer); `preload` verifies the models
    /// before the app is built (else `buildApplication` does, and its model events reach the metrics).
    /// The queue's rows are in memory (`SQLiteQueueStore(inMemory:)`, the twin that passes the store suite);
    /// `onDisk` opens the data directory's `queue.sqlite` as `medinfer serve` does.
    init(workers: Int = 1, maxBodyBytes: Int64 = 2 << 30, maxQueuedImages: Int = 10_000, maxBatch: Int? = nil,
         maxDelayMs: Int? = nil, preload: Bool = true, onDisk: Bool = false,
         configure: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        let repository = try TinyModelRepository(batching: (maxBatch: 4, maxDelayMs: 0))
        folder = repository.root.deletingLastPathComponent()
        var c = ServerConfiguration()
        c.port = 0
        c.dataDirectory = folder.appendingPathComponent("data", isDirectory: true)
        c.modelsDirectory = repository.root
        c.workers = workers
        c.maxBodyBytes = maxBodyBytes
        c.maxQueuedImages = maxQueuedImages
        c.maxBatch = maxBatch
        c.maxDelayMs = maxDelayMs
        configure(&c)
        if onDisk {
            services = try await ServerServices(configuration: c)
        } else {
            let queue = JobQueue(store: try SQLiteQueueStore(inMemory: serverMigrations),
                                 blobs: try FileBlobStore(root: c.dataDirectory.appendingPathComponent("blobs", isDirectory: true)),
                                 configuration: ServerServices.queueConfiguration(c))
            services = try await ServerServices(configuration: c, queue: queue)
        }
        if preload { services.models.reload() }
        admin = try await #require(try services.keys.bootstrapAdminKey())
        submitter = try await services.keys.create(name: "router", role: .submitter).key
        reviewer = try await services.keys.create(name: "dr", role: .reviewer).key
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// Runs `body` against the application over a real socket: for what needs one (the Host a client
    /// sends, streamed bodies, connection handling, metrics of the HTTP server).
    func live(logger: Logger = Logger(label: "medinfer"),
              _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = await buildApplication(services, logger: logger)
        try await app.test(.live, body)
    }

    /// Runs `body` against the application in-process (`.router`: requests go straight to the router, no
    /// socket), for what the controllers decide: routes, roles, answers, Problem documents.
    func inProcess(logger: Logger = Logger(label: "medinfer"),
                   _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = await buildApplication(services, logger: logger)
        try await app.test(.router, body)
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

extension TestClientProtocol {
    /// `call` on a connection of its own, so concurrent requests are not queued behind each other on the
    /// shared connection (HTTP/1.1 answers one request at a time).
    func callAlone(_ uri: String, _ method: HTTPRequest.Method, key: String?, headers: HTTPFields = [:],
                   body: Data? = nil) async throws -> TestClient.Response {
        var fields = headers
        if let key { fields[.authorization] = "Bearer \(key)" }
        let headers = fields
        let port = try #require(self.port)
        return try await TestClient.withClient(host: "localhost", port: port) { client in
            try await client.execute(TestClient.Request(uri, method: method, authority: "localhost", headers: headers,
                                                        body: body.map { ByteBuffer(bytes: $0) }))
        }
    }

    /// Checks that `/openapi.json` lists `status` among the answers of `method template`.
    func expectDocumented(_ answers: [(method: String, template: String, status: Int)],
                          sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let document = try await call("/openapi.json", .get, key: nil).json()
        let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
        for a in answers {
            let responses = paths[a.template]?[a.method]?["responses"] as? [String: Any]
            #expect(responses?[String(a.status)] != nil, "\(a.method) \(a.template) \(a.status) in openapi.json",
                    sourceLocation: sourceLocation)
        }
    }

    /// `GET /metrics` as text.
    func metricsText() async throws -> String {
        String(buffer: try await call("/metrics", .get, key: nil).body)
    }
}

/// The value of one Prometheus series (`name{labels}` exactly as exposed), nil when absent.
func metricValue(_ text: String, _ series: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1).trimmingCharacters(in: .whitespaces))
    }
    return nil
}

extension TestClient.Response {
    var data: Data { body.map { Data($0.readableBytesView) } ?? Data() }

    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
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
