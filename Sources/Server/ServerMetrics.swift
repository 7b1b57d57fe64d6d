import Foundation
import HTTPTypes
import Hummingbird
import JobQueue
import Models
import Prometheus

/// The Prometheus registry of one application and the metrics it records (served at `GET /metrics`).
/// A registry per application (not the process-wide `MetricsSystem`), so tests can build many apps.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let queue: JobQueue
    let inferenceLatency: DurationHistogram
    let modelEvents: (loaded: Counter, refused: Counter)

    init(queue: JobQueue) {
        self.queue = queue
        inferenceLatency = registry.makeDurationHistogram(
            name: "medinfer_kserve_inference_duration_seconds",
            buckets: [.milliseconds(5), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                      .milliseconds(500), .seconds(1), .seconds(2), .seconds(5)],
            help: "Engine time of KServe V2 infer requests")
        modelEvents = (registry.makeCounter(name: "medinfer_model_load_events_total", labels: [("outcome", "verified")],
                                            help: "Model versions verified or refused by repository loads"),
                       registry.makeCounter(name: "medinfer_model_load_events_total", labels: [("outcome", "refused")],
                                            help: "Model versions verified or refused by repository loads"))
    }

    /// Counts one answered request.
    func recordRequest(method: String, route: String, status: Int) {
        registry.makeCounter(name: "medinfer_http_requests_total",
                             labels: [("method", method), ("route", route), ("status", String(status))],
                             help: "HTTP requests by route and status").increment()
    }

    /// Records the engine time of one KServe infer request.
    func recordInference(_ duration: Duration) { inferenceLatency.record(duration) }

    /// Counts the verifications and refusals of a repository reload.
    func record(_ events: [ModelEvent]) {
        for event in events {
            switch event {
            case .verified: modelEvents.loaded.increment()
            case .refused: modelEvents.refused.increment()
            default: break
            }
        }
    }

    /// The text exposition, with the queue depth by state read now.
    func exposition() -> String {
        if let counts = try? queue.jobCounts() {
            for (state, n) in counts {
                registry.makeGauge(name: "medinfer_jobs", labels: [("state", state.rawValue)],
                                   help: "Jobs in the queue by state").set(Double(n))
            }
        }
        return registry.emitToString()
    }
}

/// Counts every request by method, matched route (not the raw path: ids would explode the label set) and status.
struct MetricsMiddleware: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: ServerContext,
                next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.recordRequest(method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                                  status: Int(response.status.code))
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.recordRequest(method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                                  status: Int(status))
            throw error
        }
    }
}
