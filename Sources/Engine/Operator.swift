public import Tensor

/// An operator with validated attributes. Shapes are static inside a plan, so `outputTypes` sees concrete
/// input types (nil for an absent optional input) and the values of constant inputs; every validation
/// happens there, with errors that name the node, op and attribute.
public protocol Operator: Sendable {
    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType]
    /// Computes the outputs (types as `outputTypes` promised).
    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor]
    /// Computes the outputs inside a plan: work split for `rc.threads` and run on `rc.workers` engine threads, outputs in the run's arena
    /// (ops that split work or write into the arena implement this; the default calls `run(_:)`).
    func run(_ inputs: [Tensor?], _ rc: RunContext) throws(EngineError) -> [Tensor]
    /// Whether `run(_:_:)` takes its outputs from `RunContext.output` (the plan gives them arena regions)
    /// and never returns an input's storage.
    var writesIntoArena: Bool { get }
    /// Whether the op computes image i of axis 0 from image i of its inputs alone (`Plan+PerImage`), given its
    /// input types, which inputs are plan-time constants, and the output rank. The plan has already checked
    /// that every non-constant input and every output keeps axis 0 as the batch.
    func keepsImagesApart(_ inputs: [TensorType?], constant: [Bool], outputRank: Int) -> Bool
    /// Multiply-adds of one run at these types (convolutions and matrix products; 0 for the rest).
    func multiplyAdds(_ inputs: [TensorType?], _ outputs: [TensorType]) -> Int
}

extension Operator {
    public func run(_ inputs: [Tensor?], _ rc: RunContext) throws(EngineError) -> [Tensor] { try run(inputs) }
    public var writesIntoArena: Bool { false }
    public func keepsImagesApart(_ inputs: [TensorType?], constant: [Bool], outputRank: Int) -> Bool { false }
    public func multiplyAdds(_ inputs: [TensorType?], _ outputs: [TensorType]) -> Int { 0 }
}

/// An op that computes each element (or each image's window) from the same image of its inputs, whatever its
/// attributes: elementwise functions, convolutions, pooling, normalisation per image, resampling, and the
/// reshapes whose output keeps axis 0 (checked on the output shape).
protocol ImageWise: Operator {}

extension ImageWise {
    func keepsImagesApart(_ inputs: [TensorType?], constant: [Bool], outputRank: Int) -> Bool { true }
}

/// What a step gets besides its inputs: the thread budget and the arena regions planned for its outputs.
public struct RunContext: Sendable {
    /// Threads the plan was made for: they decide how work is split (ConvPlan's tiles and chunks), and so
    /// the bits of a result.
    public let threads: Int
    /// Threads that run this step's tasks (at most `threads`): fewer when images of a batch run side by
    /// side (`Plan.runPerImage`). The same split on fewer workers gives the same bits.
    public let workers: Int
    let arena: Arena?
    let regions: [(offset: Int, type: TensorType)?]

    init(threads: Int, workers: Int? = nil, arena: Arena?, regions: [(offset: Int, type: TensorType)?]) {
        self.threads = threads
        self.workers = workers ?? threads
        self.arena = arena
        self.regions = regions
    }

    /// One thread, no arena (constant folding, direct calls).
    public static let serial = RunContext(threads: 1, arena: nil, regions: [])

    /// Output `i`, uninitialised: its arena region when the plan gave it one of this type, else new memory.
    public func output(_ i: Int, _ dtype: DType, _ shape: [Int], _ ctx: NodeContext) throws(EngineError) -> Tensor {
        if let arena, i < regions.count, let r = regions[i], r.type.dtype == dtype, r.type.shape == shape {
            return Tensor(arena: arena, offset: r.offset, dtype: dtype, shape: shape)
        }
        do { return try Tensor(uninitialized: dtype, shape: shape) } catch { throw ctx.shape(error.description) }
    }
}

/// Builds an operator from a node at a given opset.
public typealias OpBuilder = @Sendable (Node, Int) throws -> any Operator

/// Identifies a node in error messages.
public struct NodeContext: Sendable {
    public var name: String
    public var opType: String
    public init(_ node: Node) { name = node.name; opType = node.opType }

    public func attribute(_ attr: String, _ reason: String) -> EngineError {
        .invalidAttribute(node: name, opType: opType, attribute: attr, reason: reason)
    }
    public func input(_ i: Int, _ reason: String) -> EngineError {
        .invalidInput(node: name, opType: opType, input: i, reason: reason)
    }
    public func shape(_ reason: String) -> EngineError { .shapeMismatch(node: name, opType: opType, reason: reason) }

    /// Throws `needsConstantInput` when any of `indices` is a present input without a plan-time value.
    public func requireConstant(_ indices: [Int], _ inputs: [TensorType?], _ constants: [Tensor?]) throws(EngineError) {
        for i in indices where i < inputs.count && inputs[i] != nil && (i >= constants.count || constants[i] == nil) {
            throw EngineError.needsConstantInput(node: name, opType: opType, input: i)
        }
    }

    /// Input `i`, which must be present.
    public func required(_ inputs: [TensorType?], _ i: Int) throws(EngineError) -> TensorType {
        guard i < inputs.count, let t = inputs[i] else { throw input(i, "required input is missing") }
        return t
    }
    public func required(_ inputs: [Tensor?], _ i: Int) throws(EngineError) -> Tensor {
        guard i < inputs.count, let t = inputs[i] else { throw input(i, "required input is missing") }
        return t
    }
    /// Float32 input `i` as an array.
    public func floats(_ inputs: [Tensor?], _ i: Int) throws(EngineError) -> [Float] {
        let t = try required(inputs, i)
        guard t.dtype == .float32 else { throw input(i, "expected float32, got \(t.dtype.rawValue)") }
        return t.floats()
    }
    /// Integer input `i` (int64/int32) as [Int].
    public func ints(_ inputs: [Tensor?], _ i: Int) throws(EngineError) -> [Int] {
        let t = try required(inputs, i)
        switch t.dtype {
        case .int64, .int32, .int16, .int8, .uint8, .uint16, .uint32, .uint64: return t.ints()
        default: throw input(i, "expected an integer tensor, got \(t.dtype.rawValue)")
        }
    }
}

extension Node {
    public var context: NodeContext { NodeContext(self) }

    public func int(_ name: String, default value: Int? = nil) throws(EngineError) -> Int? {
        switch attributes[name] {
        case nil: return value
        case .int(let v): return v
        default: throw context.attribute(name, "expected an integer")
        }
    }
    public func float(_ name: String, default value: Float? = nil) throws(EngineError) -> Float? {
        switch attributes[name] {
        case nil: return value
        case .float(let v): return v
        case .int(let v): return Float(v)
        default: throw context.attribute(name, "expected a float")
        }
    }
    public func string(_ name: String, default value: String? = nil) throws(EngineError) -> String? {
        switch attributes[name] {
        case nil: return value
        case .string(let v): return v
        default: throw context.attribute(name, "expected a string")
        }
    }
    public func ints(_ name: String) throws(EngineError) -> [Int]? {
        switch attributes[name] {
        case nil: return nil
        case .ints(let v): return v
        case .int(let v): return [v]
        default: throw context.attribute(name, "expected a list of integers")
        }
    }
    public func floats(_ name: String) throws(EngineError) -> [Float]? {
        switch attributes[name] {
        case nil: return nil
        case .floats(let v): return v
        case .float(let v): return [v]
        default: throw context.attribute(name, "expected a list of floats")
        }
    }
    public func tensor(_ name: String) throws(EngineError) -> Tensor? {
        switch attributes[name] {
        case nil: return nil
        case .tensor(let t): return t
        default: throw context.attribute(name, "expected a tensor")
        }
    }
}

/// A tensor of `dtype` holding `values` rounded as `Tensor(converting:)` rounds (Cast's rules), mapping shape
/// errors to an engine error of `ctx`: the float counterpart of `intTensor`.
func convertedTensor(_ shape: [Int], _ values: [Double], to dtype: DType, _ ctx: NodeContext, saturate: Bool = true,
                     rounding: E8M0.Rounding = .up) throws(EngineError) -> Tensor {
    do { return try Tensor(converting: values, shape: shape, to: dtype, saturate: saturate, rounding: rounding) } catch {
        throw ctx.shape(error.description)
    }
}

/// Makes a float32 tensor, mapping shape errors to an engine error of `ctx`.
func makeFloat(_ shape: [Int], _ values: [Float], _ ctx: NodeContext) throws(EngineError) -> Tensor {
    do { return try Tensor(shape: shape, values: values) } catch { throw ctx.shape(error.description) }
}

func makeTensor<T: TensorElement>(_ shape: [Int], _ values: [T], _ ctx: NodeContext) throws(EngineError) -> Tensor {
    do { return try Tensor(shape: shape, values: values) } catch { throw ctx.shape(error.description) }
}

/// Normalises a possibly negative axis for a tensor of rank `rank` (a scalar has no axis).
func normalizedAxis(_ axis: Int, rank: Int, _ ctx: NodeContext, _ attr: String = "axis") throws(EngineError) -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0, a < rank else { throw ctx.attribute(attr, "axis \(axis) out of range for rank \(rank)") }
    return a
}
