import Foundation
public import Kernels
public import Tensor

/// Options fixed when a model is compiled.
public struct CompileOptions: Sendable {
    /// Threads the engine may use; it owns them (OpenBLAS's count is set to this, never left to its default).
    public var threads: Int = 1
    public var enableFusion = true
    public var enableConstantFolding = true
    /// Runs every convolution this algorithm can compute with it instead of `ConvPlan`'s choice (tests use
    /// it to check each fast path against the others).
    public var convAlgorithm: ConvAlgorithm?
    /// Runs a batch one image at a time where every op allows it (`Plan.perImage`); off, the batch runs
    /// through each layer together. Both give the same bits; tests compare them.
    public var perImageBatches: Bool
    /// Bytes a model may hold: its weights, and for each plan every single value and the arena of its
    /// intermediates. A model or a plan over it is refused (`EngineError.overMemoryBudget`) before the
    /// memory is allocated, instead of running into the OOM killer.
    public var memoryBudget: Int
    /// Receives the time per operator type after each run (and each node's, when `nodes`); nil: no timing.
    public var profile: ProfileSink?
    public init(threads: Int = 1, convAlgorithm: ConvAlgorithm? = nil, perImageBatches: Bool = true,
                memoryBudget: Int = CompileOptions.defaultMemoryBudget, profile: ProfileSink? = nil) {
        self.threads = threads
        self.convAlgorithm = convAlgorithm
        self.perImageBatches = perImageBatches
        self.memoryBudget = memoryBudget
        self.profile = profile
    }

    /// Half the machine's physical memory, at most 8 GiB: the 3-D U-Net of the benchmarks at 256³ plans
    /// about 2 GiB of activations, so real models fit with room for the server beside them.
    public static let defaultMemoryBudget = min(8 << 30, Int(clamping: ProcessInfo.processInfo.physicalMemory / 2))
}

/// Where a plan's run timings go: one line per run ("profile: ConvOp 3.21 ms, …"), and with `nodes` one per
/// node ("node conv_3 1.204 ms 42.1 GFLOP/s"). The CLI and the server make one from `MEDINFER_PROFILE`.
public struct ProfileSink: Sendable {
    public var nodes: Bool
    public var write: @Sendable (String) -> Void
    public init(nodes: Bool = false, write: @escaping @Sendable (String) -> Void) {
        self.nodes = nodes
        self.write = write
    }

    /// From `MEDINFER_PROFILE` (`1`: per operator type, `nodes`: also per node) in `environment`, writing lines
    /// to standard error; nil when unset.
    public static func fromEnvironment() -> ProfileSink? {
        guard let v = ProcessInfo.processInfo.environment["MEDINFER_PROFILE"], ["1", "nodes"].contains(v) else { return nil }
        return ProfileSink(nodes: v == "nodes") { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    }
}

/// A loaded model: every op supported (all unsupported ones are reported in one error), attributes
/// validated, graph optimised by `Passes`. Plans for concrete input shapes are compiled on demand and cached.
public final class Model: @unchecked Sendable {
    // @unchecked: `plans` is only touched under `lock`; everything else is immutable.
    public let graph: Graph
    public let options: CompileOptions
    let operators: [any Operator]
    private let lock = NSLock()
    private var plans: [PlanKey: Plan] = [:]

    /// Plans are cached per input shapes and the intermediate values they also return.
    struct PlanKey: Hashable {
        var inputShapes: [String: [Int]]
        var extraOutputs: [String]
    }

    public init(graph original: Graph, options: CompileOptions = .init()) throws(EngineError) {
        var missing: [String: (domain: String, nodes: [String])] = [:]
        for n in original.nodes where !OpRegistry.supports(opType: n.opType, domain: n.domain, opset: original.opset) {
            missing[n.opType, default: (n.domain, [])].nodes.append(n.name)
        }
        if !missing.isEmpty {
            throw .unsupportedOps(missing.keys.sorted().map { ($0, missing[$0]!.domain, missing[$0]!.nodes) }, opset: original.opset)
        }
        try original.validate()
        var weights = 0
        for t in original.initializers.values { weights = weights.addingReportingOverflow(t.byteCount).partialValue }
        guard weights <= options.memoryBudget else {
            throw .overMemoryBudget(what: "the weights", bytes: weights, budget: options.memoryBudget)
        }
        var g = original
        Passes.run(&g, fusion: options.enableFusion)
        var ops: [any Operator] = []
        for n in g.nodes {
            var op = try OpRegistry.makeOperator(n, opset: g.opset)
            if let a = options.convAlgorithm, var conv = op as? ConvOp {
                conv.forced = a
                op = conv
            }
            ops.append(op)
        }
        graph = g
        operators = ops
        self.options = options
    }

    /// The plan for these input shapes (all graph inputs must be given).
    ///
    /// `extraOutputs` names intermediate values of the optimised `graph` that the plan returns beside the
    /// graph's outputs (e.g. the feature map a caller inspects); they stay alive to the end of a run, so
    /// such a plan may need a larger arena. A name that is no value of the graph is an `.invalidGraph` error.
    public func plan(for inputShapes: [String: [Int]], extraOutputs: [String] = []) throws(EngineError) -> Plan {
        let key = PlanKey(inputShapes: inputShapes, extraOutputs: extraOutputs)
        lock.lock()
        if let p = plans[key] { lock.unlock(); return p }
        lock.unlock()
        let p = try Plan(model: self, inputShapes: inputShapes, extraOutputs: extraOutputs)
        lock.lock()
        plans[key] = p
        lock.unlock()
        return p
    }

    /// Runs the model once, compiling (or reusing) the plan for these inputs' shapes; the result also holds
    /// each of `extraOutputs` (see `plan(for:extraOutputs:)`). When an input's values decide shapes (e.g.
    /// Resize sizes fed at run time), a one-off plan bakes them in.
    public func run(_ inputs: [String: Tensor], extraOutputs: [String] = []) throws(EngineError) -> [String: Tensor] {
        do {
            return try plan(for: inputs.mapValues(\.shape), extraOutputs: extraOutputs).run(inputs)
        } catch .needsConstantInput {
            return try Plan(model: self, inputShapes: inputs.mapValues(\.shape), extraOutputs: extraOutputs,
                            constantFeeds: inputs).run(inputs)
        }
    }
}

/// An immutable execution plan for fixed input shapes: every value's type known, constants folded,
/// the steps to run in order. Shared by concurrent runs.
public final class Plan: Sendable {
    struct Step: Sendable {
        let op: any Operator
        let node: String
        let inputs: [Int?]  // value slots; nil = absent optional input
        let outputs: [Int]
        let multiplyAdds: Int
    }

    public let inputTypes: [(name: String, type: TensorType)]
    public let outputTypes: [(name: String, type: TensorType)]
    /// Bytes of the arena a run carves its intermediate tensors from (placed by value liveness).
    public let arenaBytes: Int
    /// Multiply-adds of Conv, ConvTranspose, Gemm and MatMul for one run at the planned shapes.
    public let multiplyAdds: Int
    /// How many convolutions run with each `ConvAlgorithm` (raw value), as `ConvPlan` chose for this CPU.
    public let convolutionAlgorithms: [String: Int]
    let steps: [Step]
    let slotCount: Int
    let constants: [Int: Tensor]
    let inputSlots: [(String, Int)]
    let outputSlots: [(String, Int)]
    /// For each step, the slots whose last reader it is (released right after it runs).
    let releases: [[Int]]
    let threads: Int
    let arena: ArenaLayout
    let arenas: ArenaPool
    /// Where each run's timings go (`CompileOptions.profile`), or nil.
    let profile: ProfileSink?
    /// The batch-1 plan this batch-N plan runs image by image (see Plan+PerImage), or nil.
    public let perImage: Plan?

    /// Plans in stages (`Plan+Stages.swift`): bind the inputs and weights to value slots, type each node and
    /// fold what is constant, bind the outputs, lay out the arena by value liveness, and find the batch-1 plan
    /// a batch may run image by image.
    init(model: Model, inputShapes: [String: [Int]], extraOutputs: [String] = [],
         constantFeeds: [String: Tensor] = [:]) throws(EngineError) {
        var values = PlanValues()
        let (inTypes, inSlots) = try values.bindInputs(model.graph, inputShapes, constantFeeds)
        values.bindInitializers(model.graph)
        // The batch when every input has the same axis 0 > 1; each step then must keep images apart.
        let batches = Set(inTypes.map { $0.1.shape.first ?? 0 })
        let batch = batches.count == 1 && constantFeeds.isEmpty ? batches.first! : 0
        let typed = try values.typeAndFold(model, batch: batch)
        let (outTypes, outSlots) = try values.bindOutputs(model.graph, extraOutputs: extraOutputs)
        let keep = Set(outSlots.map(\.1))
        releases = Plan.releases(typed.steps, constants: values.constants, keep: keep)
        arena = ArenaLayout(steps: typed.steps, types: values.types, graphOutputs: keep)
        guard arena.byteCount <= model.options.memoryBudget else {
            throw .overMemoryBudget(what: "the plan's intermediate values for inputs \(inputShapes)", bytes: arena.byteCount,
                                    budget: model.options.memoryBudget)
        }
        arenas = ArenaPool(byteCount: arena.byteCount)
        steps = typed.steps
        slotCount = values.slot.count
        constants = values.constants
        inputTypes = inTypes.map { (name: $0.0, type: $0.1) }
        self.outputTypes = outTypes.map { (name: $0.0, type: $0.1) }
        inputSlots = inSlots
        outputSlots = outSlots
        arenaBytes = arena.byteCount
        multiplyAdds = typed.multiplyAdds
        convolutionAlgorithms = typed.algorithms
        threads = model.options.threads
        profile = model.options.profile
        let imageWise = typed.imageWise && batch > 1 && model.options.perImageBatches
        perImage = imageWise ? Plan.singleImagePlan(model, inputShapes, extraOutputs, batch: batch, outTypes: outTypes) : nil
    }

    /// Runs the plan. Inputs must have the planned shapes and types.
    public func run(_ inputs: [String: Tensor]) throws(EngineError) -> [String: Tensor] {
        try run(inputs, workers: threads)
    }

    /// `run` with this plan's splits executed on `workers` threads (at most `threads`; the same bits).
    func run(_ inputs: [String: Tensor], workers: Int) throws(EngineError) -> [String: Tensor] {
        for (name, type) in inputTypes {
            guard let t = inputs[name] else { throw .badRunInput(name: name, reason: "missing") }
            guard t.dtype == type.dtype, t.shape == type.shape else {
                throw .badRunInput(name: name, reason: "got \(t.dtype.rawValue)\(t.shape), the plan expects \(type)")
            }
        }
        if let single = perImage { return try runPerImage(single, inputs, batch: inputTypes[0].type.shape[0]) }
        var values = [Tensor?](repeating: nil, count: slotCount)
        for (s, t) in constants { values[s] = t }
        for (name, s) in inputSlots { values[s] = inputs[name] }
        // The engine owns the threads (Kernels/Parallel splits images, tiles and channel chunks over its
        // pool); OpenBLAS stays at one thread inside each task so the two never compete for the cores.
        GEMM.setThreads(1)
        let profile = self.profile != nil
        var spent: [String: Double] = [:]
        var block: Arena? = arenas.take()
        for (i, st) in steps.enumerated() {
            let t0 = profile ? DispatchTime.now().uptimeNanoseconds : 0
            let rc = RunContext(threads: threads, workers: workers, arena: block, regions: arena.regions[i])
            let outs = try st.op.run(st.inputs.map { $0.flatMap { values[$0] } }, rc)
            for (s, v) in zip(st.outputs, outs) { values[s] = v }
            for s in releases[i] { values[s] = nil }
            if profile {
                let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                spent["\(type(of: st.op))", default: 0] += ms
                if let sink = self.profile, sink.nodes {
                    let rate = st.multiplyAdds > 0 ? String(format: " %.1f GFLOP/s", 2 * Double(st.multiplyAdds) / ms / 1e6) : ""
                    sink.write(String(format: "node %@ %.3f ms%@", st.node, ms, rate))
                }
            }
        }
        if let sink = self.profile {
            let lines = spent.sorted { $0.value > $1.value }.map { String(format: "%@ %.2f ms", $0.key, $0.value) }
            sink.write("profile: " + lines.joined(separator: ", "))
        }
        var result: [String: Tensor] = [:]
        for (name, s) in outputSlots {
            guard let v = values[s] else { throw .invalidGraph(reason: "output '\(name)' was not computed") }
            result[name] = v.detachedFromArena()
        }
        values = []
        arenas.give(&block)
        return result
    }
}
