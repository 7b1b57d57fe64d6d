public import Engine
import Kernels
import Tensor

/// The end of a classifier that a class activation map (CAM, Zhou et al. 2016) can be read from:
/// a feature map F → global average pooling → (Flatten/Reshape/Squeeze) → linear layer → (Softmax/Sigmoid)
/// → the output. Because pooling and the linear layer are both linear, the logit of class k is
/// `Σ_c W[k, c] · mean_hw F[c, h, w] + b[k]`, so `Σ_c W[k, c] · F[c, h, w]` says where class k's evidence lies.
///
/// Found by walking the engine's optimised graph backwards from the output; everything else is refused
/// with a `CAMHead.Unavailable` reason.
public struct CAMHead: Sendable, Equatable {
    /// Where the channels are in the feature map.
    public enum FeatureLayout: String, Sendable, Equatable {
        /// [N, C, H, W] (GlobalAveragePool, ReduceMean over axes 2, 3)
        case nchw
        /// [N, H, W, C] (ReduceMean over axes 1, 2, as Keras exports write it)
        case nhwc
    }

    /// Why a graph has no CAM head. Each names the node where the pattern broke.
    public enum Unavailable: Error, Sendable, Equatable, CustomStringConvertible {
        /// The output is not computed by any node (a graph input or a constant).
        case noProducer(value: String)
        /// The output does not come from Gemm / MatMul (+ Add) through Softmax, Sigmoid or nothing.
        case notLinear(node: String, opType: String)
        /// The linear layer's weights (or bias) are computed at run time, or the layer is not a plain
        /// `x · W` (Gemm transA, a fused activation other than Sigmoid, a weight of rank other than 2).
        case unsupportedLinear(node: String, reason: String)
        /// The linear layer's input is not a global average over the spatial axes.
        case notGlobalAveragePool(node: String, opType: String)
        /// A ReduceMean that does not average exactly H and W of a rank-4 map.
        case unsupportedReduction(node: String, reason: String)

        public var description: String {
            switch self {
            case .noProducer(let v): "no node computes '\(v)'"
            case .notLinear(let n, let op): "the output comes from node \(n) (\(op)), not from a linear layer (Gemm, MatMul)"
            case .unsupportedLinear(let n, let r): "linear layer \(n): \(r)"
            case .notGlobalAveragePool(let n, let op):
                "the linear layer reads node \(n) (\(op)), not a global average pooling (GlobalAveragePool, ReduceMean over H, W)"
            case .unsupportedReduction(let n, let r): "node \(n) (ReduceMean): \(r)"
            }
        }
    }

    /// The value name of the feature map that is pooled (ask the engine for it as an extra output).
    public var feature: String
    public var featureLayout: FeatureLayout
    /// The graph output the head ends in.
    public var output: String
    /// Classes (K) and feature channels (C).
    public var classes: Int
    public var channels: Int
    /// Linear weights as `[K, C]`, row-major, Gemm's `alpha` already applied.
    public var weights: [Float]

    /// Looks for the head that ends in `output` in `graph` (the engine's optimised graph, whose value names
    /// a plan can return).
    public static func find(in graph: Graph, output: String) -> Result<CAMHead, Unavailable> {
        var producer: [String: Node] = [:]
        for n in graph.nodes { for o in n.outputs { producer[o] = n } }
        func node(_ value: String) throws(Unavailable) -> Node {
            guard let n = producer[value] else { throw .noProducer(value: value) }
            return n
        }
        do throws(Unavailable) {
            // Output activations are monotone per class: they change probabilities, not where the evidence is.
            var n = try node(output)
            while ["Softmax", "Sigmoid", "LogSoftmax"].contains(n.opType), let x = n.inputs.first {
                n = try node(x)
            }
            let (x, weights, classes, channels) = try linear(n, producer: producer, initializers: graph.initializers)
            var p = try node(x)
            while ["Flatten", "Reshape", "Squeeze"].contains(p.opType), let x = p.inputs.first { p = try node(x) }
            let layout: FeatureLayout
            switch p.opType {
            case "GlobalAveragePool": layout = .nchw
            case "ReduceMean": layout = try reduction(p, initializers: graph.initializers)
            default: throw Unavailable.notGlobalAveragePool(node: p.name, opType: p.opType)
            }
            return .success(CAMHead(feature: p.inputs[0], featureLayout: layout, output: output, classes: classes,
                                    channels: channels, weights: weights))
        } catch {
            return .failure(error)
        }
    }

    /// Gemm(x, W[, b]) or MatMul(x, W) or Add(MatMul(x, W), b): the input value and `[K, C]` weights.
    static func linear(_ n: Node, producer: [String: Node], initializers: [String: Tensor]) throws(Unavailable)
        -> (input: String, weights: [Float], classes: Int, channels: Int)
    {
        func fail(_ reason: String) -> Unavailable { .unsupportedLinear(node: n.name, reason: reason) }
        func matrix(_ name: String) throws(Unavailable) -> Tensor {
            guard let w = initializers[name] else { throw fail("weight '\(name)' is not a constant") }
            guard w.shape.count == 2 else { throw fail("weight '\(name)' has shape \(w.shape), expected 2 dimensions") }
            return w
        }
        switch n.opType {
        case "Gemm":
            guard n.inputs.count >= 2 else { throw fail("fewer than 2 inputs") }
            if case .int(let t)? = n.attributes["transA"], t != 0 { throw fail("transA = 1") }
            if let a = n.fusedActivation, a != .sigmoid { throw fail("fused activation \(a)") }
            var alpha: Float = 1
            if case .float(let a)? = n.attributes["alpha"] { alpha = a }
            var transB = false
            if case .int(let t)? = n.attributes["transB"] { transB = t != 0 }
            let w = try matrix(n.inputs[1])
            return (n.inputs[0], kByC(w.floats(), rows: w.shape[0], columns: w.shape[1], transposed: !transB, scale: alpha),
                    transB ? w.shape[0] : w.shape[1], transB ? w.shape[1] : w.shape[0])
        case "MatMul":
            let w = try matrix(n.inputs[1])
            return (n.inputs[0], kByC(w.floats(), rows: w.shape[0], columns: w.shape[1], transposed: true, scale: 1),
                    w.shape[1], w.shape[0])
        case "Add":
            // The bias does not move the map; only the MatMul side matters.
            for side in 0..<2 where n.inputs.count == 2 && initializers[n.inputs[1 - side]] != nil {
                if let m = producer[n.inputs[side]], m.opType == "MatMul" {
                    return try linear(m, producer: producer, initializers: initializers)
                }
            }
            throw Unavailable.notLinear(node: n.name, opType: n.opType)
        default:
            throw Unavailable.notLinear(node: n.name, opType: n.opType)
        }
    }

    /// `w` as `[K, C]` row-major: as stored when it already is (`transposed` false), else transposed from `[C, K]`.
    static func kByC(_ w: [Float], rows: Int, columns: Int, transposed: Bool, scale: Float) -> [Float] {
        guard transposed else { return w.map { $0 * scale } }
        var out = [Float](repeating: 0, count: w.count)
        for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = w[r * columns + c] * scale } }
        return out
    }

    /// ReduceMean over exactly the spatial axes of a rank-4 map: {2, 3} (NCHW) or {1, 2} (NHWC).
    static func reduction(_ n: Node, initializers: [String: Tensor]) throws(Unavailable) -> FeatureLayout {
        var axes: [Int]?
        if case .ints(let a)? = n.attributes["axes"] { axes = a }
        if axes == nil, n.inputs.count > 1, !n.inputs[1].isEmpty {
            guard let t = initializers[n.inputs[1]] else {
                throw .unsupportedReduction(node: n.name, reason: "axes are computed at run time")
            }
            axes = t.doubles().map { Int($0) }
        }
        guard let axes else { throw .unsupportedReduction(node: n.name, reason: "no axes: it averages every axis") }
        // Negative axes count from the end of a rank-4 map.
        switch Set(axes.map { $0 < 0 ? $0 + 4 : $0 }) {
        case [2, 3]: return .nchw
        case [1, 2]: return .nhwc
        default: throw .unsupportedReduction(node: n.name, reason: "axes \(axes) are not the spatial axes of a rank-4 map")
        }
    }
}
