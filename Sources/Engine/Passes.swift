import Kernels
internal import Tensor

/// Graph rewrites run once per model: Identity/Dropout removal, BatchNormalization folded into the
/// preceding Conv, activation and residual Add fused into the conv epilogue (and an activation into a
/// BatchNormalization that could not be folded), average pooling moved before a 1×1 conv, dead-node
/// elimination.
/// Fused nodes carry what was folded into them as typed fields (`Node.fusedActivation`, `fusedResidual`).
enum Passes {
    static func run(_ g: inout Graph, fusion: Bool) {
        removeIdentities(&g)
        if fusion {
            foldBatchNorm(&g)
            fuseActivations(&g)
            fuseResidualAdd(&g)
            fuseActivations(&g)  // an activation after the fused Add
            poolBeforePointwise(&g)
        }
        eliminateDeadNodes(&g)
    }

    /// How many nodes (and graph outputs) read each value.
    static func consumers(_ g: Graph) -> [String: Int] {
        var c: [String: Int] = [:]
        for n in g.nodes { for i in n.inputs where !i.isEmpty { c[i, default: 0] += 1 } }
        for o in g.outputs { c[o.name, default: 0] += 1 }
        return c
    }

    /// The index of the node that writes each value.
    static func producers(_ g: Graph) -> [String: Int] {
        var p: [String: Int] = [:]
        for (i, n) in g.nodes.enumerated() { for o in n.outputs { p[o] = i } }
        return p
    }

    static func removeIdentities(_ g: inout Graph) {
        var rename: [String: String] = [:]
        let outputs = Set(g.outputs.map(\.name))
        g.nodes = g.nodes.filter { n in
            let removable = (n.opType == "Identity" || (n.opType == "Dropout" && n.outputs.count == 1))
                && n.domain.isEmpty && !n.inputs.isEmpty && !outputs.contains(n.outputs[0])
            if removable { rename[n.outputs[0]] = rename[n.inputs[0]] ?? n.inputs[0] }
            return !removable
        }
        for i in g.nodes.indices { g.nodes[i].inputs = g.nodes[i].inputs.map { rename[$0] ?? $0 } }
    }

    static func foldBatchNorm(_ g: inout Graph) {
        let uses = consumers(g), producer = producers(g)
        var removed = Set<Int>()
        for (bi, bn) in g.nodes.enumerated() where bn.opType == "BatchNormalization" && bn.outputs.count == 1 && bn.inputs.count == 5 {
            guard let ci = producer[bn.inputs[0]], g.nodes[ci].opType == "Conv", uses[bn.inputs[0]] == 1,
                  g.nodes[ci].fusedActivation == nil,
                  let w = g.initializers[g.nodes[ci].inputs[1]], w.dtype == .float32,
                  let scale = g.initializers[bn.inputs[1]]?.floats(), let bias = g.initializers[bn.inputs[2]]?.floats(),
                  let mean = g.initializers[bn.inputs[3]]?.floats(), let variance = g.initializers[bn.inputs[4]]?.floats()
            else { continue }
            let m = w.shape.first ?? 0
            guard scale.count == m, bias.count == m, mean.count == m, variance.count == m else { continue }
            var eps: Float = 1e-5
            if case .float(let e)? = bn.attributes["epsilon"] { eps = e }
            let (mul, add) = BatchNormOp.affine(scale: scale, bias: bias, mean: mean, variance: variance, epsilon: eps)
            var wv = w.floats()
            let per = wv.count / max(m, 1)
            for i in wv.indices { wv[i] *= mul[i / per] }
            let oldBias = g.nodes[ci].inputs.count > 2 && !g.nodes[ci].inputs[2].isEmpty ? g.initializers[g.nodes[ci].inputs[2]]?.floats() : nil
            if g.nodes[ci].inputs.count > 2 && !g.nodes[ci].inputs[2].isEmpty && oldBias == nil { continue }  // runtime bias
            let bv = (0..<m).map { (oldBias?[$0] ?? 0) * mul[$0] + add[$0] }
            let conv = g.nodes[ci].name
            guard let newW = try? Tensor(shape: w.shape, values: wv), let newB = try? Tensor(shape: [m], values: bv) else { continue }
            g.initializers["\(conv)/bn_folded_W"] = newW
            g.initializers["\(conv)/bn_folded_B"] = newB
            g.nodes[ci].inputs = [g.nodes[ci].inputs[0], "\(conv)/bn_folded_W", "\(conv)/bn_folded_B"]
            g.nodes[ci].outputs = bn.outputs
            removed.insert(bi)
        }
        g.nodes = g.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    static func fuseActivations(_ g: inout Graph) {
        let uses = consumers(g), producer = producers(g)
        var removed = Set<Int>()
        for (ai, act) in g.nodes.enumerated() {
            let kinds = ["Relu", "LeakyRelu", "HardSwish", "Sigmoid", "Clip"]
            guard kinds.contains(act.opType), act.domain.isEmpty, let x = act.inputs.first,
                  let ci = producer[x], ["Conv", "Gemm", "BatchNormalization"].contains(g.nodes[ci].opType), uses[x] == 1,
                  g.nodes[ci].outputs.count == 1,
                  g.nodes[ci].fusedActivation == nil, !removed.contains(ci)
            else { continue }
            let activation: Activation
            switch act.opType {
            case "Relu": activation = .relu
            case "LeakyRelu":
                guard case .float(let alpha) = act.attributes["alpha"] ?? .float(0.01) else { continue }
                activation = .leakyRelu(alpha)
            case "HardSwish": activation = .hardSwish
            case "Sigmoid": activation = .sigmoid
            default:  // Clip
                // Bounds from attributes (< 11) or constant inputs (>= 11); runtime bounds are not fused.
                var lo: Float = -.greatestFiniteMagnitude, hi: Float = .greatestFiniteMagnitude
                if case .float(let v)? = act.attributes["min"] { lo = v }
                if case .float(let v)? = act.attributes["max"] { hi = v }
                if act.inputs.count > 1, !act.inputs[1].isEmpty {
                    guard let v = g.initializers[act.inputs[1]]?.floats().first else { continue }
                    lo = v
                }
                if act.inputs.count > 2, !act.inputs[2].isEmpty {
                    guard let v = g.initializers[act.inputs[2]]?.floats().first else { continue }
                    hi = v
                }
                activation = .clip(lo, hi)
            }
            g.nodes[ci].fusedActivation = activation
            g.nodes[ci].outputs = act.outputs
            removed.insert(ai)
        }
        g.nodes = g.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// Add(conv(x), r) where the conv output has one reader and no activation yet: r is added in the epilogue.
    static func fuseResidualAdd(_ g: inout Graph) {
        let uses = consumers(g), producer = producers(g)
        var removed = Set<Int>()
        for (ai, add) in g.nodes.enumerated() where add.opType == "Add" && add.domain.isEmpty && add.inputs.count == 2 {
            for side in 0..<2 {
                let x = add.inputs[side], r = add.inputs[1 - side]
                guard let ci = producer[x] else { continue }
                // The residual must be an activation computed before the conv (constants may broadcast).
                let ready = producer[r].map { $0 < ci } ?? g.inputs.contains(where: { $0.name == r })
                guard g.nodes[ci].opType == "Conv", uses[x] == 1, !removed.contains(ci),
                      g.nodes[ci].fusedActivation == nil, !g.nodes[ci].fusedResidual,
                      ready, g.initializers[r] == nil
                else { continue }
                var inputs = g.nodes[ci].inputs
                while inputs.count < 3 { inputs.append("") }
                inputs.append(r)
                g.nodes[ci].inputs = inputs
                g.nodes[ci].fusedResidual = true
                g.nodes[ci].outputs = add.outputs
                removed.insert(ai)
                break
            }
        }
        g.nodes = g.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// AveragePool(Conv1×1(x)) → Conv1×1(AveragePool(x)) where the pool's windows tile the plane (kernel =
    /// strides, no pads, floor mode) and the conv has no fused activation or residual: both are linear per
    /// pixel, so the order only changes rounding, and the conv then runs on a quarter of the pixels (a 2×2
    /// pool). DenseNet's transitions (BN, ReLU, 1×1 conv halving the channels, 2×2 average pool):
    /// 2.1 -> 0.5 ms each on one thread.
    static func poolBeforePointwise(_ g: inout Graph) {
        let uses = consumers(g), producer = producers(g)
        // A malformed attribute leaves the pair alone: making its op reports it.
        func ints(_ n: Node, _ key: String) -> [Int]? { try? n.ints(key) }
        func noPads(_ n: Node) -> Bool {
            ["NOTSET", "VALID"].contains(try? n.string("auto_pad", default: "NOTSET"))
                && (ints(n, "pads") ?? []).allSatisfy { $0 == 0 }
        }
        for pi in g.nodes.indices {
            let pool = g.nodes[pi]
            guard pool.opType == "AveragePool", pool.domain.isEmpty, pool.inputs.count == 1, pool.outputs.count == 1,
                  let kernel = ints(pool, "kernel_shape"), kernel.count == 2, ints(pool, "strides") == kernel, noPads(pool),
                  (ints(pool, "dilations") ?? [1, 1]) == [1, 1],
                  (try? pool.int("ceil_mode", default: 0)) == 0,
                  let ci = producer[pool.inputs[0]], uses[pool.inputs[0]] == 1
            else { continue }
            let conv = g.nodes[ci]
            guard conv.opType == "Conv", conv.domain.isEmpty, conv.outputs.count == 1, conv.inputs.count >= 2,
                  conv.fusedActivation == nil, !conv.fusedResidual,
                  let w = g.initializers[conv.inputs[1]], w.shape.count == 4, w.shape[2] == 1, w.shape[3] == 1,
                  (ints(conv, "strides") ?? [1, 1]).allSatisfy({ $0 == 1 }), noPads(conv)
            else { continue }
            // The pool takes the conv's place (so it runs first) and the conv the pool's.
            let pooled = "\(pool.outputs[0])/before_\(conv.name)"
            var first = pool, second = conv
            first.inputs = [conv.inputs[0]]
            first.outputs = [pooled]
            second.inputs[0] = pooled
            second.outputs = pool.outputs
            g.nodes[ci] = first
            g.nodes[pi] = second
        }
    }

    static func eliminateDeadNodes(_ g: inout Graph) {
        var live = Set(g.outputs.map(\.name))
        var keep = [Bool](repeating: false, count: g.nodes.count)
        for i in stride(from: g.nodes.count - 1, through: 0, by: -1) where g.nodes[i].outputs.contains(where: live.contains) {
            keep[i] = true
            for x in g.nodes[i].inputs where !x.isEmpty { live.insert(x) }
        }
        g.nodes = g.nodes.enumerated().filter { keep[$0.offset] }.map(\.element)
        g.initializers = g.initializers.filter { live.contains($0.key) }
    }
}
