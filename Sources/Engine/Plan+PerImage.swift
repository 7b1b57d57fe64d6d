import Kernels
import Synchronization
public import Tensor

/// Batches run one image at a time when the graph allows it: a batch-N plan whose every step computes
/// image i of axis 0 from image i of its inputs alone runs the batch-1 plan N times, each image's slice
/// of the inputs in and its slice of the outputs out; with several threads, images side by side.
///
/// Why: each layer then works on one image's activations, which stay in the caches from one layer to
/// the next, where the batch-N plan streams all N images through every layer (DenseNet-121's 56×56
/// Winograd layers took 1.22× eight times their batch-1 time at batch 8). An image's bits are the same
/// either way: `ConvPlan` splits work by shape and thread count, never by batch size (batch invariance),
/// and running a split's tasks on fewer workers does not change them. Side by side, the small layers no
/// longer wait at a barrier for the other thread at every step (ResNet-18 at batch 8 on 2 threads: median
/// of medians 190 -> 157 ms, alternating with the batch run together).
extension Plan {
    /// Whether `op` computes image i from image i alone, for batch `batch` (> 1), given its input types,
    /// which inputs are constants, and its output types: every output and non-constant input keeps axis 0 as
    /// the batch, and the op itself says it keeps images apart (`Operator.keepsImagesApart`).
    static func isImageWise(_ op: any Operator, inputs: [TensorType?], constant: [Bool], outputs: [TensorType], batch: Int) -> Bool {
        guard outputs.allSatisfy({ $0.shape.first == batch }) else { return false }
        for (t, isConstant) in zip(inputs, constant) where !isConstant {
            if let t, t.shape.first != batch { return false }
        }
        return op.keepsImagesApart(inputs, constant: constant, outputRank: outputs.first?.shape.count ?? 0)
    }

    /// Runs `single` (this plan's graph at batch 1) on each image of `inputs` and gathers the outputs. With
    /// several threads, images run side by side, one thread each, while at least as many are left as there
    /// are threads; the rest one at a time on all of them. Each keeps the splits of the plan made for all
    /// the threads (`RunContext.workers`), so an image's bits are those of a batch-1 run.
    func runPerImage(_ single: Plan, _ inputs: [String: Tensor], batch: Int) throws(EngineError) -> [String: Tensor] {
        func slice(_ image: Int) throws(EngineError) -> [String: Tensor] {
            var slice: [String: Tensor] = [:]
            for (name, _) in single.inputTypes {
                guard let t = inputs[name] else { throw .badRunInput(name: name, reason: "missing") }
                do { slice[name] = try t.rows(from: image, count: 1) } catch { throw .badRunInput(name: name, reason: "\(error)") }
            }
            return slice
        }
        let streams = min(threads, batch), sideBySide = streams > 1 ? batch / streams * streams : 0
        var results = [[String: Tensor]?](repeating: nil, count: batch)
        let failure = Mutex<EngineError?>(nil)
        results.withUnsafeMutableBufferPointer { slots in
            Parallel.run(tasks: sideBySide, threads: streams) { image, _ in
                do throws(EngineError) { slots[image] = try single.run(slice(image), workers: 1) } catch {
                    failure.withLock { $0 = $0 ?? error }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        for image in sideBySide..<batch { results[image] = try single.run(slice(image), workers: threads) }
        var outputs: [String: Tensor] = [:]
        for (name, type) in outputTypes {
            var rows: [Tensor] = []
            for result in results {
                guard let r = result?[name] else { throw .invalidGraph(reason: "output '\(name)' was not computed") }
                rows.append(r)
            }
            do { outputs[name] = try Tensor.stacking(rows: rows) } catch {
                throw .invalidGraph(reason: "output '\(name)' \(type): \(error)")
            }
        }
        return outputs
    }
}
