public import Kernels
public import Tensor

/// A model graph in the engine's own IR (ONNX semantics, no protobuf).
/// Nodes are in topological order; value names are unique; `""` as an input name means "absent optional input".
public struct Graph: Sendable {
    public var name: String
    public var nodes: [Node]
    /// Runtime inputs (initializers excluded).
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    /// Constant tensors by value name (ONNX initializers and folded constants).
    public var initializers: [String: Tensor]
    /// The default-domain opset the model was exported with (`ONNXModel.supportedOpsets`).
    public var opset: Int

    /// The declared input shapes with every symbolic (or undeclared) dimension bound to `symbolic`: a plan's
    /// shapes for a model whose real sizes do not matter (fuzzing, structural checks).
    public func declaredInputShapes(binding symbolic: Int = 1) -> [String: [Int]] {
        Dictionary(inputs.map { input in
            (input.name, (input.shape ?? []).map { dim in
                if case .fixed(let n) = dim { return n }
                return symbolic
            })
        }, uniquingKeysWith: { first, _ in first })
    }

    public init(name: String = "graph", nodes: [Node], inputs: [ValueInfo], outputs: [ValueInfo],
                initializers: [String: Tensor], opset: Int) {
        self.name = name
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
        self.initializers = initializers
        self.opset = opset
    }
}

/// One operator application.
public struct Node: Sendable, CustomStringConvertible {
    public var name: String
    public var opType: String
    /// "" or "ai.onnx" for the default domain.
    public var domain: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: Attribute]
    /// The activation the fusion pass folded into this Conv, Gemm or BatchNormalization (applied as its
    /// outputs are stored), or nil. Set by `Passes`, never read from a file.
    public var fusedActivation: Activation?
    /// Whether the fusion pass appended a residual input (after X, W, B) that this Conv adds in its epilogue.
    public var fusedResidual = false

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [String: Attribute] = [:]) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    /// `node conv_3 (Conv)`: the prefix of every error about this node.
    public var description: String { "node \(name.isEmpty ? "<unnamed>" : name) (\(opType))" }
}

/// An ONNX attribute value.
public enum Attribute: Sendable {
    case int(Int)
    case float(Float)
    case string(String)
    case ints([Int])
    case floats([Float])
    case strings([String])
    case tensor(Tensor)
}

/// A dimension: fixed, or named (e.g. a dynamic batch "N"), bound when a plan is compiled.
public enum Dim: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int)
    case symbolic(String)

    public var description: String {
        switch self {
        case .fixed(let n): return String(n)
        case .symbolic(let s): return s
        }
    }
}

/// Declared type of a graph input or output.
public struct ValueInfo: Sendable {
    public var name: String
    public var dtype: DType
    /// nil when the model does not declare a shape.
    public var shape: [Dim]?

    public init(name: String, dtype: DType, shape: [Dim]?) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }
}

/// A fully known tensor type (all shapes are static once a plan is compiled for concrete input shapes).
public struct TensorType: Sendable, Equatable, CustomStringConvertible {
    public var dtype: DType
    public var shape: [Int]

    public init(_ dtype: DType, _ shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
    }

    /// Elements: the product of `shape`, `Int.max` when it overflows.
    public var count: Int { Tensor.elementCount(shape) }
    /// Bytes of the elements, `Int.max` when it overflows.
    public var byteCount: Int {
        let (b, o) = count.multipliedReportingOverflow(by: dtype.byteSize)
        return o ? .max : b
    }
    public var description: String { "\(dtype.rawValue)[\(shape.map(String.init).joined(separator: ","))]" }
}
