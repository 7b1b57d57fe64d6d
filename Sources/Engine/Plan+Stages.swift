import Kernels
import Tensor

/// The values of a plan being made: a slot per value name, the type of each slot and the slots whose values
/// are known at plan time (weights, folded results, inputs fed as constants).
struct PlanValues {
    var slot: [String: Int] = [:]
    var types: [Int: TensorType] = [:]
    var constants: [Int: Tensor] = [:]

    mutating func slotFor(_ name: String) -> Int {
        if let s = slot[name] { return s }
        let s = slot.count
        slot[name] = s
        return s
    }

    /// Stage 1: the graph inputs at the shapes given (checked against the declared ones).
    mutating func bindInputs(_ g: Graph, _ inputShapes: [String: [Int]], _ constantFeeds: [String: Tensor])
        throws(EngineError) -> (types: [(String, TensorType)], slots: [(String, Int)]) {
        var inTypes: [(String, TensorType)] = [], inSlots: [(String, Int)] = []
        for v in g.inputs {
            guard let shape = inputShapes[v.name] else { throw .badRunInput(name: v.name, reason: "no shape given for this input") }
            if let declared = v.shape {
                guard declared.count == shape.count else {
                    throw .badRunInput(name: v.name, reason: "rank \(shape.count), the model declares \(declared)")
                }
                for (d, s) in zip(declared, shape) {
                    if case .fixed(let n) = d, n != s {
                        throw .badRunInput(name: v.name, reason: "shape \(shape), the model declares \(declared)")
                    }
                }
            }
            let s = slotFor(v.name)
            types[s] = TensorType(v.dtype, shape)
            if let c = constantFeeds[v.name] { constants[s] = c }
            inTypes.append((v.name, TensorType(v.dtype, shape)))
            inSlots.append((v.name, s))
        }
        return (inTypes, inSlots)
    }

    /// Stage 2: the weights, as constants.
    mutating func bindInitializers(_ g: Graph) {
        for (name, t) in g.initializers {
            let s = slotFor(name)
            constants[s] = t
            types[s] = TensorType(t.dtype, t.shape)
        }
    }

    struct Typed {
        var steps: [Plan.Step] = []
        var multiplyAdds = 0
        var algorithms: [String: Int] = [:]
        /// Whether every step keeps the images of the batch apart (see Plan+PerImage).
        var imageWise = true
    }

    /// Stage 3: each node's output types (every validation happens here), constant folding, the steps.
    mutating func typeAndFold(_ model: Model, batch: Int) throws(EngineError) -> Typed {
        var typed = Typed()
        for (n, op) in zip(model.graph.nodes, model.operators) {
            var ins: [Int?] = []
            for name in n.inputs {
                if name.isEmpty { ins.append(nil); continue }
                guard let s = slot[name] else { throw .invalidGraph(reason: "node \(n.name) reads '\(name)', which nothing produces") }
                ins.append(s)
            }
            let inTypes = ins.map { $0.flatMap { types[$0] } }
            let consts = ins.map { $0.flatMap { constants[$0] } }
            let outTypes = try op.outputTypes(inTypes, constants: consts)
            for t in outTypes {
                guard t.shape.allSatisfy({ $0 >= 0 }) else {
                    throw .shapeMismatch(node: n.name, opType: n.opType, reason: "negative dimension in output \(t)")
                }
                guard t.byteCount <= model.options.memoryBudget else {
                    throw .overMemoryBudget(what: "\(n) output \(t)", bytes: t.byteCount, budget: model.options.memoryBudget)
                }
            }
            let outs = n.outputs.map { slotFor($0) }
            // Shape only reads the (static) type of its input: it folds even when the input is a runtime value,
            // so Shape -> Gather/Slice -> Concat -> Reshape/Resize chains become constants.
            let shapeOfKnown = op is ShapeOfOp
            if model.options.enableConstantFolding && (shapeOfKnown || ins.allSatisfy { $0 == nil || constants[$0!] != nil }) {
                var args = consts
                if shapeOfKnown, let t = inTypes.first ?? nil {
                    do { args = [try Tensor(zeros: t.dtype, shape: t.shape)] } catch { throw .invalidGraph(reason: "\(n.name): \(error)") }
                }
                for (s, v) in zip(outs, try op.run(args)) {
                    constants[s] = v
                    types[s] = TensorType(v.dtype, v.shape)
                }
                continue
            }
            for (s, t) in zip(outs, outTypes) { types[s] = t }
            typed.imageWise = typed.imageWise && batch > 1
                && Plan.isImageWise(op, inputs: inTypes, constant: ins.map { $0.map { constants[$0] != nil } ?? false },
                                    outputs: outTypes, batch: batch)
            if let conv = op as? ConvOp, inTypes.count > 1, let x = inTypes[0], let w = inTypes[1], x.shape.count == 4,
               let plan = try? conv.convPlan(x.shape, w.shape, threads: model.options.threads) {
                typed.algorithms[plan.algorithm.rawValue, default: 0] += 1
            }
            let macs = op.multiplyAdds(inTypes, outTypes)
            typed.multiplyAdds += macs
            typed.steps.append(Plan.Step(op: op, node: n.name, inputs: ins, outputs: Array(outs.prefix(outTypes.count)),
                                         multiplyAdds: macs))
        }
        return typed
    }

    /// Stage 4: the graph outputs and the intermediate values asked for beside them.
    func bindOutputs(_ g: Graph, extraOutputs: [String]) throws(EngineError) -> (types: [(String, TensorType)], slots: [(String, Int)]) {
        var outTypes: [(String, TensorType)] = [], outSlots: [(String, Int)] = []
        for o in g.outputs {
            guard let s = slot[o.name], let t = types[s] else { throw .invalidGraph(reason: "output '\(o.name)' is never produced") }
            outTypes.append((o.name, t))
            outSlots.append((o.name, s))
        }
        for name in extraOutputs where !outSlots.contains(where: { $0.0 == name }) {
            guard let s = slot[name], let t = types[s] else {
                throw .invalidGraph(reason: "extra output '\(name)' is not a value of the optimised graph")
            }
            outTypes.append((name, t))
            outSlots.append((name, s))
        }
        return (outTypes, outSlots)
    }
}

extension Plan {
    /// Stage 5: liveness. For each step, the intermediate slots whose last reader it is.
    static func releases(_ steps: [Step], constants: [Int: Tensor], keep: Set<Int>) -> [[Int]] {
        var last: [Int: Int] = [:]
        for (i, st) in steps.enumerated() { for s in st.inputs.compactMap({ $0 }) { last[s] = i } }
        var releases = [[Int]](repeating: [], count: steps.count)
        for (s, i) in last where constants[s] == nil && !keep.contains(s) { releases[i].append(s) }
        return releases
    }

    /// Stage 6: the batch-1 plan a batch-N plan runs image by image, when it exists and gives the same
    /// outputs with axis 0 = 1 (a Reshape with a fixed batch, say, would not).
    static func singleImagePlan(_ model: Model, _ inputShapes: [String: [Int]], _ extraOutputs: [String], batch: Int,
                                outTypes: [(String, TensorType)]) -> Plan? {
        guard outTypes.allSatisfy({ $0.1.shape.first == batch }),
              let single = try? model.plan(for: inputShapes.mapValues { [1] + $0.dropFirst() }, extraOutputs: extraOutputs)
        else { return nil }
        let matches = single.outputTypes.count == outTypes.count
            && zip(single.outputTypes, outTypes).allSatisfy { $0.type.dtype == $1.1.dtype && $0.type.shape == [1] + $1.1.shape.dropFirst() }
        return matches ? single : nil
    }
}
