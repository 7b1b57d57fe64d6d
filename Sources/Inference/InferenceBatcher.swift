import Core
import JobQueue
import Engine
public import Models
public import Tensor
import Synchronization

/// Why an infer request got no answer. Both are the caller's input (the server answers 400).
public enum InferenceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The tensors do not fit the model's inputs (names, datatypes, ranks or fixed dimensions).
    case invalidInput(String)
    /// The engine refused the tensors.
    case engine(String)

    public var description: String {
        switch self {
        case .invalidInput(let why): return why
        case .engine(let why): return "inference failed: \(why)"
        }
    }
}

/// Dynamic batching of raw-tensor requests (KServe V2 infer) on a worker's engine thread, the same owner
/// that runs the worker's job batches. Requests for one model version whose tensors differ only in the
/// first (batch) dimension are concatenated along it and run as one batch when `maxBatch` rows wait or the
/// first of them has waited `maxDelay` (the policy jobs use: flags, then the manifest, then defaults).
/// Each request gets back its own rows, bit-identical to a run on its own (the engine is batch-invariant).
///
/// A request that cannot share a batch (the model fixes the batch dimension, or the request alone fills a
/// batch) runs alone; if a merged run fails, each request is run alone so one bad request fails by itself.
public final class InferenceBatcher: Sendable {
    /// Counts since the batcher was made.
    public struct Statistics: Sendable, Equatable {
        /// Requests answered (with outputs or an error).
        public var requests = 0
        /// Engine runs.
        public var batches = 0
        /// Rows of the largest engine run.
        public var largestBatch = 0
        /// Most requests answered by one engine run.
        public var largestMerge = 0
        /// Requests waiting now for their batch to fill or its delay to pass.
        public var waiting = 0
    }

    typealias Answer = Result<[String: Tensor], InferenceError>

    struct Pending: Sendable {
        var inputs: [String: Tensor]
        var rows: Int
        var received: ContinuousClock.Instant
        var answer: CheckedContinuation<Answer, Never>
    }

    /// Requests that may share a run: the same weights and the same tensors but for the batch dimension.
    struct GroupKey: Hashable, Sendable {
        var model: ModelRef
        var signature: [String]
    }

    struct Group: Sendable {
        var model: LoadedModel
        var pending: [Pending] = []
        var rows = 0
        /// Tells the delay timer of an earlier group with this key that its group already ran.
        var generation: Int
    }

    struct State: Sendable {
        var groups: [GroupKey: Group] = [:]
        var nextGeneration = 0
        var statistics = Statistics()
    }

    let engine: EngineThread
    let options: Worker.Options
    let state = Mutex(State())

    /// A batcher with an engine thread of its own, for a server that runs no in-process worker.
    public convenience init(options: Worker.Options = .init()) {
        self.init(options: options, engine: EngineThread())
    }

    init(options: Worker.Options, engine: EngineThread) {
        self.options = options
        self.engine = engine
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Runs `inputs` on `model`, batched with concurrent requests for the same version; returns every
    /// output of the graph. The caller keeps `model` alive, so a request accepted before the model was
    /// unloaded or replaced still runs on the version it was accepted for.
    public func infer(_ model: LoadedModel, _ inputs: [String: Tensor]) async throws(InferenceError) -> [String: Tensor] {
        let (key, rows) = try Self.check(model, inputs)
        let policy = Worker.policy(model.manifest, options)
        let answer = await withCheckedContinuation { (continuation: CheckedContinuation<Answer, Never>) in
            let request = Pending(inputs: inputs, rows: rows, received: .now, answer: continuation)
            guard let key, (rows < policy.maxBatch), (policy.maxDelay > .zero) else {
                dispatch(model, [request])
                return
            }
            enqueue(request, model: model, key: key, policy: policy)
        }
        return try answer.get()
    }

    private func enqueue(_ request: Pending, model: LoadedModel, key: GroupKey, policy: BatchPolicy) {
        var due: [Group] = []
        var timer: Int?
        state.withLock { s in
            if let group = s.groups[key], group.rows + request.rows > policy.maxBatch {
                // This request would overfill the batch: run what waits, start a new one.
                due.append(group)
                s.groups[key] = nil
            }
            var group: Group
            if let waiting = s.groups[key] {
                group = waiting
            } else {
                group = Group(model: model, generation: s.nextGeneration)
                timer = s.nextGeneration
                s.nextGeneration += 1
            }
            group.pending.append(request)
            group.rows += request.rows
            if group.rows >= policy.maxBatch {
                due.append(group)
                s.groups[key] = nil
                timer = nil
            } else {
                s.groups[key] = group
            }
            s.statistics.waiting = s.groups.values.reduce(0) { $0 + $1.pending.count }
        }
        for group in due { dispatch(group.model, group.pending) }
        if let generation = timer {
            Task { [self] in
                try? await Task.sleep(for: policy.maxDelay)
                flush(key, generation: generation)
            }
        }
    }

    /// The delay of the group started as `generation` has passed: run it unless it already ran full.
    private func flush(_ key: GroupKey, generation: Int) {
        let group = state.withLock { s -> Group? in
            guard let group = s.groups[key], group.generation == generation else { return nil }
            s.groups[key] = nil
            s.statistics.waiting = s.groups.values.reduce(0) { $0 + $1.pending.count }
            return group
        }
        if let group { dispatch(group.model, group.pending) }
    }

    /// Queues the run on the engine thread, behind any job batch already there; answers each request there.
    private func dispatch(_ model: LoadedModel, _ requests: [Pending]) {
        engine.submit { [self] in
            let (answers, runs) = Self.execute(model, requests)
            state.withLock { s in
                s.statistics.requests += requests.count
                s.statistics.batches += runs.count
                s.statistics.largestBatch = max(s.statistics.largestBatch, runs.map(\.rows).max() ?? 0)
                s.statistics.largestMerge = max(s.statistics.largestMerge, runs.map(\.requests).max() ?? 0)
            }
            if let observer = options.observer {
                let done = ContinuousClock.now
                for (i, run) in runs.enumerated() {
                    observer(BatchRecord(kind: .infer, model: model.ref, size: run.rows, requests: run.requests,
                                         inference: run.duration, endToEnd: i == 0 ? requests.map { done - $0.received } : []))
                }
            }
            for (request, answer) in zip(requests, answers) { request.answer.resume(returning: answer) }
        }
    }

    /// Checks `inputs` against the graph's inputs (names, datatypes, ranks, fixed dimensions) before they
    /// can share a batch. Returns the batch key (nil: cannot be batched) and the request's rows.
    static func check(_ model: LoadedModel, _ inputs: [String: Tensor]) throws(InferenceError) -> (GroupKey?, Int) {
        let declared = model.model.graph.inputs
        let names = Set(declared.map(\.name))
        if let extra = inputs.keys.sorted().first(where: { !names.contains($0) }) {
            throw .invalidInput("the model has no input '\(extra)' (inputs: \(declared.map(\.name).joined(separator: ", ")))")
        }
        var batchable = true
        var rows: Int?
        var signature: [String] = []
        for info in declared {
            guard let tensor = inputs[info.name] else { throw .invalidInput("input '\(info.name)' is missing") }
            // An empty tensor has nothing to infer, and not every kernel takes a zero-sized dimension.
            guard tensor.count > 0 else { throw .invalidInput("input '\(info.name)' has no elements (shape \(tensor.shape))") }
            guard tensor.dtype == info.dtype else {
                throw .invalidInput("input '\(info.name)' must be \(info.dtype.rawValue), got \(tensor.dtype.rawValue)")
            }
            if let dims = info.shape {
                guard dims.count == tensor.shape.count else {
                    throw .invalidInput("input '\(info.name)' must have \(dims.count) dimensions \(dims), got shape \(tensor.shape)")
                }
                for (i, (dim, n)) in zip(dims, tensor.shape).enumerated() {
                    if case .fixed(let want) = dim, want != n {
                        throw .invalidInput("input '\(info.name)' dimension \(i) must be \(want), got shape \(tensor.shape)")
                    }
                }
                if case .fixed = dims.first { batchable = false }
            } else {
                batchable = false
            }
            guard let first = tensor.shape.first, first > 0 else {
                batchable = false
                continue
            }
            if rows == nil { rows = first } else if rows != first { batchable = false }
            signature.append("\(info.name):\(tensor.dtype.rawValue):\(tensor.shape.dropFirst().map(String.init).joined(separator: "x"))")
        }
        guard batchable, let rows else { return (nil, max(rows ?? 1, 1)) }
        return (GroupKey(model: model.ref, signature: signature), rows)
    }
}
