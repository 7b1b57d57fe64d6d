/// Errors from building or converting tensors.
public enum TensorError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidShape([Int], reason: String)
    case countMismatch(shape: [Int], count: Int)
    case dtypeMismatch(expected: DType, actual: DType)

    public var description: String {
        switch self {
        case let .invalidShape(s, r): return "invalid shape \(s): \(r)"
        case let .countMismatch(s, c): return "shape \(s) needs \(Tensor.elementCount(s)) elements, got \(c)"
        case let .dtypeMismatch(e, a): return "expected \(e.rawValue) elements, the tensor holds \(a.rawValue)"
        }
    }
}
