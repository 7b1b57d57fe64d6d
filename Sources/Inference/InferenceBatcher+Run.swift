import Core
import JobQueue
import Engine
import Models
import Tensor

extension InferenceBatcher {
    /// One engine run: its rows, the requests it answered and its time.
    struct Run: Sendable {
        var rows: Int
        var requests: Int
        var duration: Duration
    }

    /// Runs `requests` (on the engine thread): one merged run, or each alone when there is one request, the
    /// merged run fails, or its outputs cannot be split back into rows.
    static func execute(_ model: LoadedModel, _ requests: [Pending]) -> ([Answer], [Run]) {
        if requests.count > 1 {
            let started = ContinuousClock.now
            if let split = try? mergedRun(model, requests) {
                let run = Run(rows: requests.reduce(0) { $0 + $1.rows }, requests: requests.count,
                              duration: ContinuousClock.now - started)
                return (split.map { .success($0) }, [run])
            }
        }
        var answers: [Answer] = []
        var runs: [Run] = []
        for request in requests {
            let started = ContinuousClock.now
            do { answers.append(.success(try model.run(request.inputs).mapValues { $0.detachedFromArena() })) } catch {
                answers.append(.failure(.engine("\(error)")))
            }
            runs.append(Run(rows: request.rows, requests: 1, duration: ContinuousClock.now - started))
        }
        return (answers, runs)
    }

    /// Concatenates every input along the first dimension, runs once and gives each request its rows of
    /// every output. Throws when the engine refuses or an output's first dimension is not the batch's.
    static func mergedRun(_ model: LoadedModel, _ requests: [Pending]) throws -> [[String: Tensor]] {
        var batch: [String: Tensor] = [:]
        for name in requests[0].inputs.keys {
            batch[name] = try Tensor.stacking(rows: requests.map { $0.inputs[name]! })
        }
        let outputs = try model.run(batch)
        let total = requests.reduce(0) { $0 + $1.rows }
        var answers = [[String: Tensor]](repeating: [:], count: requests.count)
        for (name, tensor) in outputs {
            guard tensor.shape.first == total else { throw InferenceError.engine("output \(name) is not batched") }
            var row = 0
            for (i, request) in requests.enumerated() {
                answers[i][name] = try tensor.rows(from: row, count: request.rows)
                row += request.rows
            }
        }
        return answers
    }
}
