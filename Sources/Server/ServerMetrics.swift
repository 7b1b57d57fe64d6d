import Inference
import CoreMetrics
import HTTPTypes
import Hummingbird
import JobQueue
import Models
import Prometheus
import Synchronization

/// The metrics of one application, recorded through the swift-metrics API into a Prometheus registry of its
/// own (a `PrometheusMetricsFactory` passed explicitly, not the process-wide `MetricsSystem`, so tests can
/// build many apps) and served as Prometheus text at `GET /metrics`.
///
/// Series (names in `Name`): HTTP requests by method, matched route and status, and their duration; jobs in
/// the queue by state; infer requests waiting for their batch; engine batch sizes, engine time and submission-to-done time of job images and infer
/// requests (`kind` = `jobs` | `infer`); model repository events by outcome.
final class ServerMetrics: Sendable {
    enum Name {
        static let requests = "medinfer_http_requests_total"
        static let requestDuration = "medinfer_http_request_duration_seconds"
        static let jobs = "medinfer_jobs"
        static let batchSize = "medinfer_batch_size"
        static let inference = "medinfer_inference_duration_seconds"
        static let endToEnd = "medinfer_end_to_end_duration_seconds"
        static let modelEvents = "medinfer_model_load_events_total"
        static let inferWaiting = "medinfer_infer_waiting_requests"
    }

    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    let queue: JobQueue
    /// The infer batchers of the applications built on these services (usually one).
    let batchers = Mutex<[InferenceBatcher]>([])

    init(queue: JobQueue) {
        self.queue = queue
        var factory = PrometheusMetricsFactory(registry: registry)
        let fast: [Duration] = [.milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(50), .milliseconds(100),
                                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5)]
        factory.durationHistogramBuckets = [
            Name.requestDuration: fast,
            Name.inference: fast,
            Name.endToEnd: fast + [.seconds(10), .seconds(30), .seconds(60), .seconds(300)],
        ]
        factory.valueHistogramBuckets = [Name.batchSize: [1, 2, 4, 8, 16, 32, 64, 128]]
        self.factory = factory
    }

    /// Counts one answered request and records its duration.
    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        CoreMetrics.Counter(label: Name.requests, dimensions: [("method", method), ("route", route), ("status", String(status))],
                            factory: factory).increment()
        CoreMetrics.Timer(label: Name.requestDuration, dimensions: [("method", method), ("route", route)], factory: factory)
            .recordNanoseconds(Self.nanoseconds(duration))
    }

    /// One engine run of the worker (job images) or of the infer batcher.
    func record(_ batch: BatchRecord) {
        let kind = [("kind", batch.kind.rawValue)]
        CoreMetrics.Recorder(label: Name.batchSize, dimensions: kind, aggregate: true, factory: factory).record(batch.size)
        CoreMetrics.Timer(label: Name.inference, dimensions: kind, factory: factory).recordNanoseconds(Self.nanoseconds(batch.inference))
        let endToEnd = CoreMetrics.Timer(label: Name.endToEnd, dimensions: kind, factory: factory)
        for d in batch.endToEnd { endToEnd.recordNanoseconds(Self.nanoseconds(d)) }
    }

    /// Counts what a repository reload, load or unload did (versions verified or refused, activations...).
    func record(_ events: [ModelEvent]) {
        for event in events {
            let outcome = switch event {
            case .verified: "verified"
            case .refused: "refused"
            case .removed: "removed"
            case .activated: "activated"
            case .deactivated: "deactivated"
            }
            CoreMetrics.Counter(label: Name.modelEvents, dimensions: [("outcome", outcome)], factory: factory).increment()
        }
    }

    /// Reports `batcher`'s waiting requests in every exposition from now on.
    func watch(_ batcher: InferenceBatcher) {
        batchers.withLock { list in if !list.contains(where: { $0 === batcher }) { list.append(batcher) } }
    }

    /// The text exposition, with the queue depth by state and the infer requests waiting for a batch read now.
    func exposition() async -> String {
        let waiting = batchers.withLock { $0.reduce(0) { $0 + $1.statistics.waiting } }
        CoreMetrics.Gauge(label: Name.inferWaiting, factory: factory).record(waiting)
        if let counts = try? await queue.jobCounts() {
            for (state, n) in counts {
                CoreMetrics.Gauge(label: Name.jobs, dimensions: [("state", state.rawValue)], factory: factory).record(n)
            }
        }
        return registry.emitToString()
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }
}

/// Counts every request by method, matched route (not the raw path: ids would explode the label set) and
/// status, and times it.
struct MetricsMiddleware: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: ServerContext,
                next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.recordRequest(method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                                  status: Int(response.status.code), duration: ContinuousClock.now - started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.recordRequest(method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                                  status: Int(status), duration: ContinuousClock.now - started)
            throw error
        }
    }
}
