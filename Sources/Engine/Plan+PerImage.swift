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
    /// Op types that compute each image of axis 0 from the same image of their inputs, whatever their
    /// attributes, as long as every non-constant input and every output keeps axis 0 as the batch.
    static let imageWiseOps: Set<String> = [
        "Conv", "ConvTranspose", "BatchNormalization", "InstanceNormalization", "LRN",
        "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool",
        "Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Clip", "Elu", "Selu",
        "Softplus", "Softsign", "Exp", "Log", "Abs", "Neg", "Sqrt", "Reciprocal", "Erf", "Floor", "Ceil",
        "Identity", "Dropout", "Cast",
        "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean",
        // Row-major data keeps image i's block where axis 0 stays the batch (checked on the output shape).
        "Flatten", "Reshape", "Squeeze", "Unsqueeze",
        "Resize", "Upsample", "Pad", "DepthToSpace", "SpaceToDepth",
    ]
    /// Elementwise ops that broadcast a constant over the batch: a constant with axis 0 of its own would
    /// differ per image.
    static let broadcastingOps: Set<String> = ["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "PRelu"]

    /// Whether node `n` computes image i from image i alone, for batch `batch` (> 1), given its input types,
    /// which inputs are constants, and its output types.
    static func isImageWise(_ n: Node, inputs: [TensorType?], constant: [Bool], outputs: [TensorType], batch: Int) -> Bool {
        guard n.domain.isEmpty else { return false }
        guard outputs.allSatisfy({ $0.shape.first == batch }) else { return false }
        for (t, isConstant) in zip(inputs, constant) {
            guard let t else { continue }
            if isConstant {
                if broadcastingOps.contains(n.opType), t.shape.count >= (outputs.first?.shape.count ?? 0), t.shape.first != 1 {
                    return false
                }
            } else if t.shape.first != batch {
                return false
            }
        }
        let rank = outputs.first?.shape.count ?? 0
        func axis(_ name: String, default d: Int) -> Int? {
            guard let a = (try? n.int(name, default: d)) ?? nil else { return nil }
            return a < 0 ? a + rank : a
        }
        switch n.opType {
        case let op where imageWiseOps.contains(op):
            return true
        case "Concat", "Softmax", "LogSoftmax":
            // Softmax before opset 13 flattens from `axis` on: rows are images when axis >= 1.
            guard let a = axis("axis", default: n.opType == "Concat" ? 0 : 1) else { return false }
            return a != 0
        case "Transpose":
            return ((try? n.ints("perm")) ?? nil)?.first == 0
        case "Gemm":
            // Rows of A are images; B and C must be constants.
            let transA = ((try? n.int("transA", default: 0)) ?? nil) ?? 0
            return transA == 0 && constant.count >= 2 && constant.dropFirst().allSatisfy { $0 }
        case "MatMul":
            return constant.count == 2 && constant[1]
        default:
            return false
        }
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
