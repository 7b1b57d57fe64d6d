import Inference
import JobQueue
import Logging
import ServiceLifecycle

/// Runs one in-process `Worker` as a service of the application's service group. On graceful shutdown it
/// asks the worker to stop: the batch in progress finishes and is recorded, queued jobs stay queued.
struct WorkerService: Service {
    let worker: Worker

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await worker.run()
        } onGracefulShutdown: {
            worker.stop()
        }
    }
}
