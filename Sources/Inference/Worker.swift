import Core
public import JobQueue
public import Models
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Drains a `JobQueue` through the pipeline: claims batches across jobs (one model version per batch,
/// so one input shape), decodes and preprocesses the next batch while the engine runs the current one,
/// and records results durably. Any number of workers, in any processes, may share a data directory.
///
/// One engine call at a time, on the worker's own engine thread: the engine owns its threads.
public final class Worker: Sendable {
    public struct Options: Sendable {
        /// Overrides every model's `batching.maxBatchSize` from its manifest.
        public var maxBatch: Int?
        /// Overrides every model's `batching.maxDelayMs`.
        public var maxDelay: Duration?
        /// Used when neither an override nor the manifest says.
        public var defaultPolicy = BatchPolicy(maxBatch: 8, maxDelay: .milliseconds(50))
        /// Return once nothing this worker can serve is queued (`medinfer worker --once`).
        public var once = false
        /// The longest an idle worker waits before it looks for work again. A submission wakes it sooner when
        /// the store can tell it (SQLite: from this process only, so other processes' jobs wait up to this
        /// long; PostgreSQL: from any process, so a deployment on it can use e.g. 1 s).
        public var pollInterval: Duration = .milliseconds(20)
        /// Waits this long after each inference, before results are written. For crash tests only: it
        /// widens the window in which a killed worker leaves a batch half done. Not an option of any
        /// command: debug builds read it from `MEDINFER_TEST_HOLD_AFTER_INFERENCE_MS`; release builds ignore it.
        public var holdAfterInference: Duration = Self.testHoldAfterInference

        /// `MEDINFER_TEST_HOLD_AFTER_INFERENCE_MS` in a debug build; zero otherwise.
        static var testHoldAfterInference: Duration {
            #if DEBUG
            let text = ProcessInfo.processInfo.environment["MEDINFER_TEST_HOLD_AFTER_INFERENCE_MS"] ?? ""
            return .milliseconds(max(0, Int(text) ?? 0))
            #else
            return .zero
            #endif
        }
        /// Store a heatmap (classifiers whose manifest or graph allows one) or mask overlay per image as
        /// the `overlay.png` artifact, listed in the report's `overlays`.
        public var overlays = true
        /// Told about every engine run (job batches, from the worker's task once their outcomes are recorded;
        /// infer batches, on the engine thread): keep it quick. The server records metrics from it.
        public var observer: (@Sendable (BatchRecord) -> Void)?
        /// Append the model activations and refusals the worker's repository reloads find to the audit
        /// trail (`AuditTrail.recordModelEvents`); the server's workers do, so a version picked up while
        /// serving is on record.
        public var auditModelEvents = false

        public init() {}
    }

    /// Counts since `run()` started.
    public struct Summary: Sendable, Equatable {
        public var batches = 0
        public var largestBatch = 0
        public var succeeded = 0
        public var failed = 0
        /// Transient failures sent back to the queue.
        public var retried = 0
        /// Images of dead workers taken back at start-up.
        public var reclaimed = 0
    }

    public let queue: JobQueue
    public let models: ModelRepository
    public let options: Options
    let identity: WorkerIdentity
    let log: @Sendable (String) -> Void
    let engine: EngineThread
    /// Raw-tensor requests (KServe V2 infer) batched on this worker's engine thread, between its job batches.
    public let inference: InferenceBatcher
    let analyzers = Mutex<[ModelRef: AnalyzerSlot]>([:])
    let summary = Mutex(Summary())
    let stopping = Atomic<Bool>(false)

    /// `log` receives one line per notable event (start-up recovery, failures); never patient data.
    public init(queue: JobQueue, models: ModelRepository, options: Options = .init(),
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.queue = queue
        self.models = models
        self.options = options
        self.log = log
        let engine = EngineThread()
        self.engine = engine
        inference = InferenceBatcher(options: options, engine: engine)
        let host = Self.hostName()
        let pid = getpid()
        identity = WorkerIdentity(id: "\(host):\(pid):\(UUID().uuidString.prefix(8).lowercased())", host: host, pid: pid)
    }

    /// Asks `run()` to return after the batch in progress; claimed but unstarted images go back to the queue.
    public func stop() { stopping.store(true, ordering: .relaxed) }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Works until `stop()` or the task is cancelled (or, with `once`, until nothing it can serve is
    /// queued); either way the batch in progress is finished and recorded first, so a service group's
    /// graceful shutdown loses nothing. Start-up takes back the images of dead workers and sweeps orphan files.
    @discardableResult
    public func run() async throws(JobQueueError) -> Summary {
        let result: Result<Summary, JobQueueError> = await withTaskCancellationHandler {
            do throws(JobQueueError) { return .success(try await work()) } catch { return .failure(error) }
        } onCancel: {
            stop()
        }
        return try result.get()
    }

    private func work() async throws(JobQueueError) -> Summary {
        await reloadModels()
        try await queue.heartbeat(identity)
        let reclaimed = try await queue.reclaimAbandoned(host: identity.host, isAlive: Self.isAlive)
        summary.withLock { $0.reclaimed = reclaimed }
        if reclaimed > 0 { log("took back \(reclaimed) image(s) from workers that stopped") }
        let swept = try await queue.sweep()
        if swept.blobs + swept.temporaryFiles > 0 {
            log("removed \(swept.blobs) orphan blob(s) and \(swept.temporaryFiles) temporary file(s)")
        }
        let heartbeat = Task { [queue, identity, log] in
            let interval = queue.configuration.leaseDuration / 3
            while (try? await Task.sleep(for: interval)) != nil {
                do { try await queue.heartbeat(identity) } catch { log("heartbeat failed: \(error)") }
            }
        }
        defer { heartbeat.cancel() }

        // One batch prepared ahead: decoding overlaps the engine.
        var next = Task { try await self.nextBatch() }
        var askedWhileIdle = false
        while true {
            let batch: PreparedBatch?
            do { batch = try await next.value } catch { throw error as? JobQueueError ?? .database("\(error)") }
            guard let batch else {
                // `once`: an empty answer given while a batch was in flight may be stale (that batch can
                // have queued retries); ask once more with nothing in flight.
                if isStopping || !options.once || askedWhileIdle { break }
                askedWhileIdle = true
                next = Task { try await self.nextBatch() }
                continue
            }
            askedWhileIdle = false
            next = Task { try await self.nextBatch() }
            await process(batch)
            if isStopping {
                if let ahead = try? await next.value { try? await queue.release(identity, ahead.claimed) }
                break
            }
        }
        // Stop renewing first, so no late heartbeat registers this worker again.
        heartbeat.cancel()
        _ = await heartbeat.value
        try await queue.unregister(identity)
        return summary.withLock { $0 }
    }

    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The single owner of engine calls: a serial queue, so batches (of jobs or of infer requests) never run
/// concurrently and the engine's own threads (or OpenBLAS's) never compete with another batch's.
final class EngineThread: Sendable {
    private let queue = DispatchQueue(label: "medinfer.worker.engine", qos: .userInitiated)

    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }

    /// Queues `body` behind the runs already waiting, without waiting for it.
    func submit(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
    }
}

extension Worker {
    /// Re-reads the repository (verification only reruns for changed folders); with
    /// `Options.auditModelEvents`, what changed goes to the audit trail. An audit failure is logged: it must
    /// not stop the worker from serving the version that is verified.
    func reloadModels() async {
        let events = await Blocking.run { [models] in models.reload() }  // verification compiles and runs canaries
        guard options.auditModelEvents, !events.isEmpty else { return }
        do { try await queue.audit.recordModelEvents(events, repository: models, trigger: "worker reload") } catch {
            log("cannot append the model events to the audit trail: \(error)")
        }
    }
}
