import Core
import Inference
import Foundation
import HTTPTypes
public import Hummingbird
import JobQueue
public import Logging
import Models
import NIOCore
import ServiceLifecycle

/// Builds the MedInfer HTTP application: routes, middleware (request log, metrics, auth, role, errors) and the
/// in-process workers, as services of one group, so `runService()` serves until SIGINT/SIGTERM and then stops
/// accepting, lets the running batch finish and leaves queued jobs for the next start.
///
/// The model repository is loaded (verified, canaries run) before this returns, so a fresh server is
/// ready as soon as it listens. `configuration.role` picks what the process serves (`ServerRole`): an api
/// node runs no workers and no inference, a worker node refuses the job API. `onListening` gets the port
/// the server actually bound (the kernel's choice for port 0) once it accepts connections.
public func buildApplication(_ services: ServerServices, logger: Logger = Logger(label: "medinfer"),
                             onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async -> some ApplicationProtocol {
    let configuration = services.configuration
    // Verification compiles models and runs their canaries (in a child process when isolated): blocking work.
    let events = await Blocking.run { [models = services.models] in models.reload() }
    await services.recordModelEvents(events, trigger: "server start", logger: logger)

    var workerOptions = Worker.Options()
    workerOptions.maxBatch = configuration.maxBatch
    workerOptions.maxDelay = configuration.maxDelayMs.map { .milliseconds($0) }
    workerOptions.observer = { [metrics = services.metrics] in metrics.record($0) }
    workerOptions.auditModelEvents = true
    let workers = (0..<configuration.workerCount).map { _ in
        Worker(queue: services.queue, models: services.models, options: workerOptions) { line in
            logger.info("\(line)")
        }
    }
    // Infer requests are batched on the first worker's engine thread, between its job batches; a server
    // without workers still answers them, on an engine thread of their own, unless it is an api node.
    let inference = configuration.role.runsInference ? workers.first?.inference ?? InferenceBatcher(options: workerOptions) : nil
    if let inference { services.metrics.watch(inference) }

    let router = Router(context: ServerContext.self)
    router.add(middleware: RequestLogMiddleware(logger: logger))
    router.add(middleware: MetricsMiddleware(metrics: services.metrics))
    router.add(middleware: AuthMiddleware(keys: services.keys, openMetrics: configuration.openMetrics))
    router.add(middleware: RoleMiddleware(role: configuration.role))
    JobsController(services: services).addRoutes(to: router.group("v1/jobs"))
    ReviewsController(services: services).addRoutes(to: router.group("v1/reviews"))
    KServeController(services: services, inference: inference).addRoutes(to: router.group("v2"))
    DICOMwebController(services: services).addRoutes(to: router.group("dicomweb"))
    OperationsController(services: services).addRoutes(to: router)

    var appServices: [any Service] = workers.map(WorkerService.init)
    if configuration.dicomPort != nil, configuration.role.servesJobAPI {
        appServices.append(DICOMListenerService(services: services, logger: logger))
    }
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "medinfer"),
        services: appServices,
        onServerRunning: { [port = configuration.port] channel in await onListening(channel.localAddress?.port ?? port) },
        logger: logger
    )
}

/// Builds the application for `services` and serves until SIGINT or SIGTERM (then shuts down gracefully).
/// `onListening` as for `buildApplication`.
public func runServer(_ services: ServerServices, logger: Logger = Logger(label: "medinfer"),
                      onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
    try await buildApplication(services, logger: logger, onListening: onListening).runService()
}
