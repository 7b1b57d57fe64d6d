import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Server
import Synchronization
import TestSupport
import Testing

/// Collects every log entry (message and metadata rendered as `key=value`) so tests can read what was logged.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        var logger = Logger(label: "medinfer-test") { _ in CapturingHandler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    struct CapturingHandler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String,
                 file: String, function: String, line: UInt) {
            let all = metadata.merging(extra ?? [:]) { $1 }
            let rendered = all.keys.sorted().map { "\($0)=\(all[$0]!)" }.joined(separator: " ")
            log.lines.withLock { $0.append("\(level) \(message) \(rendered)") }
        }
    }

    /// Lines whose text contains every one of `parts`.
    func lines(containing parts: String...) -> [String] {
        lines.withLock { $0 }.filter { line in parts.allSatisfy { line.contains($0) } }
    }
}

/// `/metrics` after real work, and the request log.
@Suite(.serialized) struct OperationsTests {
    /// After one job and one infer request every promised series exists with plausible values.
    @Test func metricsAfterAJobAndAnInfer() async throws {
        let server = try await TestServer(workers: 1, preload: false)
        defer { server.remove() }
        let key = server.submitter
        let png = try TestServer.png()
        try await server.inProcess { client in
            let posted = try await client.call("/v1/jobs", .post, key: key, headers: [.contentType: "image/png"], body: png)
            #expect(posted.status == .accepted)
            let id = try #require(try posted.json()["id"] as? String)
            let job = try await client.waitForJob(id, key: key)
            #expect(job["status"] as? String == "succeeded")
            let infer = try await client.call("/v2/models/tiny/infer", .post, key: key,
                                              body: KServeBatchingTests.request(rows: 2, seed: 5).body)
            #expect(infer.status == .ok)
            _ = try await client.call("/v1/jobs/nope", .get, key: key)

            let text = try await client.metricsText()
            func value(_ series: String) -> Double { metricValue(text, series) ?? -1 }
            #expect(value(#"medinfer_http_requests_total{method="POST",route="/v1/jobs",status="202"}"#) == 1, "\(text)")
            #expect(value(#"medinfer_http_requests_total{method="GET",route="/v1/jobs/{id}",status="404"}"#) == 1)
            #expect(value(#"medinfer_http_requests_total{method="POST",route="/v2/models/{name}/infer",status="200"}"#) == 1)
            #expect(value(#"medinfer_http_request_duration_seconds_count{method="POST",route="/v1/jobs"}"#) == 1)
            #expect(value(#"medinfer_jobs{state="succeeded"}"#) == 1)
            #expect(value(#"medinfer_jobs{state="queued"}"#) == 0)
            for kind in ["jobs", "infer"] {
                #expect(value("medinfer_batch_size_count{kind=\"\(kind)\"}") == 1, "\(kind)")
                #expect(value("medinfer_inference_duration_seconds_count{kind=\"\(kind)\"}") == 1, "\(kind)")
                #expect(value("medinfer_inference_duration_seconds_sum{kind=\"\(kind)\"}") > 0, "\(kind)")
                #expect(value("medinfer_end_to_end_duration_seconds_count{kind=\"\(kind)\"}") == 1, "\(kind)")
                // Submission to done includes the engine time.
                #expect(value("medinfer_end_to_end_duration_seconds_sum{kind=\"\(kind)\"}")
                        >= value("medinfer_inference_duration_seconds_sum{kind=\"\(kind)\"}") - 0.001, "\(kind)")
            }
            #expect(value(#"medinfer_batch_size_sum{kind="jobs"}"#) == 1)
            #expect(value(#"medinfer_batch_size_sum{kind="infer"}"#) == 2)
            #expect(value(#"medinfer_model_load_events_total{outcome="verified"}"#) == 1)
            #expect(value(#"medinfer_model_load_events_total{outcome="activated"}"#) == 1)
            #expect(value("medinfer_infer_waiting_requests") == 0)
        }
    }

    /// One line per request with request id, route pattern, status, duration and job id; the id is echoed;
    /// no header value (the API key) reaches the log.
    @Test func requestLogLines() async throws {
        let server = try await TestServer(workers: 0)
        defer { server.remove() }
        let log = CapturedLog()
        let key = server.submitter
        let png = try TestServer.png()
        try await server.inProcess(logger: log.logger) { client in
            let posted = try await client.call("/v1/jobs", .post, key: key,
                                               headers: [.contentType: "image/png", .init("X-Request-Id")!: "client-id-1"], body: png)
            #expect(posted.status == .accepted)
            #expect(posted.headers[.init("X-Request-Id")!] == "client-id-1")
            let id = try #require(try posted.json()["id"] as? String)
            let line = try #require(log.lines(containing: "request_id=client-id-1").first)
            for part in ["route=/v1/jobs ", "status=202", "method=POST", "job_id=\(id)", "duration_ms="] {
                #expect(line.contains(part), "\(part) in \(line)")
            }

            // A generated id when none (or an unsafe one) is sent; the route is the pattern, not the path.
            let shown = try await client.call("/v1/jobs/\(id)", .get, key: key,
                                              headers: [.init("X-Request-Id")!: "bad id\nforged=1"])
            let generated = try #require(shown.headers[.init("X-Request-Id")!])
            #expect(generated != "bad id\nforged=1" && UUID(uuidString: generated) != nil)
            let second = try #require(log.lines(containing: "request_id=\(generated)").first)
            #expect(second.contains("route=/v1/jobs/{id} ") && second.contains("job_id=\(id)") && second.contains("status=200"))
            #expect(!log.lines.withLock { $0 }.contains { $0.contains("forged") })

            // Refusals are logged and carry the id too.
            let refused = try await client.call("/v1/jobs", .get, key: "mi_wrong")
            #expect(refused.status == .unauthorized)
            let refusedID = try #require(refused.headers[.init("X-Request-Id")!])
            #expect(log.lines(containing: "request_id=\(refusedID)", "status=401").count == 1)
            let missing = try await client.call("/nowhere", .get, key: key)
            #expect(missing.status == .notFound && missing.headers[.init("X-Request-Id")!] != nil)
        }
        let all = log.lines.withLock { $0 }
        #expect(all.filter { $0.contains("request_id=") && $0.contains("route=") }.count == 4, "\(all)")
        for secret in [key, server.admin, "mi_wrong", "Bearer"] {
            #expect(!all.contains { $0.contains(secret) }, "\(secret.prefix(8))… in the log")
        }
    }
}
