@testable import Inference
import QueueTestSupport
import Foundation
@testable import JobQueue
import Models
import Synchronization
import Tensor
import TestSupport
import Testing

/// Raw-tensor requests batched on the engine thread: merged answers equal single runs, bit for bit.
@Suite struct InferenceBatcherTests {
    static func input(rows: Int, seed: UInt64) throws -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return try Tensor(shape: [rows, 3, 32, 32], values: (0..<(rows * 3 * 32 * 32)).map { _ in Float(rng.next() % 1000) / 500 - 1 })
    }

    static func loaded() throws -> (TinyModelRepository, LoadedModel) {
        let repo = try TinyModelRepository()
        let models = ModelRepository(root: repo.root)
        models.reload()
        return (repo, try #require(models.active(TinyModelRepository.name)))
    }

    /// Requests of 1, 2 and 1 rows fill one batch of 4 (the delay is never waited for: the batch runs full);
    /// each gets exactly its own rows.
    @Test func concurrentRequestsShareOneRunAndGetTheirOwnRows() async throws {
        let (repo, model) = try Self.loaded()
        defer { repo.remove() }
        let records = Mutex<[BatchRecord]>([])
        var options = Worker.Options()
        options.maxBatch = 4
        options.maxDelay = .seconds(60)
        options.observer = { record in records.withLock { $0.append(record) } }
        let batcher = InferenceBatcher(options: options)
        let inputs = try [(1, 1), (2, 2), (1, 3)].map { try Self.input(rows: $0.0, seed: $0.1) }
        let expected = try inputs.map { try #require(try model.run(["input": $0])["output"]) }

        let answers = try await withThrowingTaskGroup(of: (Int, Tensor?).self) { group in
            for (i, input) in inputs.enumerated() {
                group.addTask { (i, try await batcher.infer(model, ["input": input])["output"]) }
            }
            var answers = [Tensor?](repeating: nil, count: inputs.count)
            for try await (i, t) in group { answers[i] = t }
            return answers
        }
        for i in inputs.indices { #expect(answers[i] == expected[i], "request \(i)") }
        let stats = batcher.statistics
        #expect(stats.batches == 1 && stats.largestBatch == 4 && stats.largestMerge == 3 && stats.requests == 3 && stats.waiting == 0,
                "\(stats)")
        let record = try #require(records.withLock { $0 }.first)
        #expect(record.kind == .infer && record.size == 4 && record.requests == 3 && record.endToEnd.count == 3)
        #expect(record.endToEnd.allSatisfy { $0 >= record.inference })
    }

    /// A request as large as a batch runs alone at once; one that would overfill the waiting batch sends it
    /// off and starts the next.
    @Test func overfullRequestsStartTheNextBatch() async throws {
        let (repo, model) = try Self.loaded()
        defer { repo.remove() }
        var options = Worker.Options()
        options.maxBatch = 3
        options.maxDelay = .seconds(60)
        let batcher = InferenceBatcher(options: options)
        let big = try Self.input(rows: 3, seed: 9)
        let alone = try await batcher.infer(model, ["input": big])["output"]
        #expect(alone == (try model.run(["input": big])["output"]))
        #expect(batcher.statistics.batches == 1 && batcher.statistics.largestBatch == 3)

        /// Waits (bounded) until the batcher's counts say `done`.
        func until(_ done: (InferenceBatcher.Statistics) -> Bool) async throws {
            for _ in 0..<5000 where !done(batcher.statistics) { try await Task.sleep(for: .milliseconds(1)) }
            #expect(done(batcher.statistics), "\(batcher.statistics)")
        }
        // A (2 rows) waits; B (2 rows) would make 4 > 3: A runs, B waits; C (1 row) fills B's batch.
        let a = try Self.input(rows: 2, seed: 4), b = try Self.input(rows: 2, seed: 5), c = try Self.input(rows: 1, seed: 6)
        async let first = batcher.infer(model, ["input": a])
        try await until { $0.waiting == 1 }
        async let second = batcher.infer(model, ["input": b])
        try await until { $0.batches == 2 && $0.waiting == 1 }
        async let third = batcher.infer(model, ["input": c])
        let answers = try await [first, second, third]
        for (input, answer) in zip([a, b, c], answers) {
            #expect(answer["output"] == (try model.run(["input": input])["output"]))
        }
        #expect(batcher.statistics.batches == 3 && batcher.statistics.largestMerge == 2)
    }

    /// Tensors that do not fit the graph are refused before they can join (and spoil) a batch.
    @Test func mismatchedInputsAreRefusedUpFront() async throws {
        let (repo, model) = try Self.loaded()
        defer { repo.remove() }
        let batcher = InferenceBatcher()
        let good = try Self.input(rows: 1, seed: 1)
        let cases: [([String: Tensor], String)] = [
            ([:], "input 'input' is missing"),
            (["input": good, "other": good], "no input 'other'"),
            (["input": try Tensor(shape: [1, 3, 32, 32], values: [Int32](repeating: 0, count: 3072))], "must be float32"),
            (["input": try good.reshaped([3, 32, 32])], "must have 4 dimensions"),
            (["input": try Tensor(zeros: .float32, shape: [0, 3, 32, 32])], "has no elements"),
        ]
        for (inputs, words) in cases {
            await #expect {
                try await batcher.infer(model, inputs)
            } throws: { error in
                guard case InferenceError.invalidInput(let why) = error else { return false }
                return why.contains(words)
            }
        }
        #expect(batcher.statistics.batches == 0)
    }

    /// A worker's infer batches run on the engine thread of its job batches.
    @Test func workerSharesItsEngineThread() async throws {
        let t = try await TemporaryQueue()
        let repo = try TinyModelRepository()
        defer { t.remove(); repo.remove() }
        let worker = Worker(queue: t.queue, models: ModelRepository(root: repo.root))
        #expect(worker.inference.engine === worker.engine)
    }
}
