/// Element types a tensor can hold.
///
/// Besides the numeric types kernels compute in, the ONNX storage types are held so that a model can
/// `Cast` to and from them: IEEE half (`float16`), `bfloat16`, the 8-bit floats of ONNX (E4M3FN, E4M3FNUZ,
/// E5M2, E5M2FNUZ, E8M0), the 4-bit float E2M1 and the 4- and 2-bit integers. The sub-byte types are held
/// unpacked, one element per byte (the integers sign-extended or zero-extended, the 4-bit float as its code
/// in the low nibble); ONNX files pack them (`TensorProto+Tensor.swift`).
public enum DType: String, Sendable, CaseIterable, Codable {
    case float32, float64, int8, uint8, int16, uint16, int32, uint32, int64, uint64, bool
    case float16, bfloat16
    case float8e4m3fn, float8e4m3fnuz, float8e5m2, float8e5m2fnuz, float8e8m0, float4e2m1
    case int4, uint4, int2, uint2

    /// Bytes per element in memory (sub-byte types are held one per byte).
    public var byteSize: Int {
        switch self {
        case .int8, .uint8, .bool: return 1
        case .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz, .float8e8m0, .float4e2m1: return 1
        case .int4, .uint4, .int2, .uint2: return 1
        case .int16, .uint16, .float16, .bfloat16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64, .uint64: return 8
        }
    }

    /// Bits per element in a packed ONNX tensor: 4 or 2 for the sub-byte types, else `8 * byteSize`.
    public var packedBits: Int {
        switch self {
        case .int4, .uint4, .float4e2m1: return 4
        case .int2, .uint2: return 2
        default: return 8 * byteSize
        }
    }

    /// The reduced-precision float formats, whose values are codes of a `MiniFloat` format.
    public var miniFloat: MiniFloat? {
        switch self {
        case .float16: return .float16
        case .bfloat16: return .bfloat16
        case .float8e4m3fn: return .float8e4m3fn
        case .float8e4m3fnuz: return .float8e4m3fnuz
        case .float8e5m2: return .float8e5m2
        case .float8e5m2fnuz: return .float8e5m2fnuz
        case .float4e2m1: return .float4e2m1
        default: return nil
        }
    }

    /// Whether the type holds non-integer values (the float types of every width).
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 || self == .float8e8m0 || miniFloat != nil }
}

/// A Swift scalar type that maps to one `DType`.
public protocol TensorElement: Sendable, Equatable {
    static var dtype: DType { get }
    static var zero: Self { get }
}

extension Float: TensorElement { public static var dtype: DType { .float32 } }
extension Double: TensorElement { public static var dtype: DType { .float64 } }
extension Int8: TensorElement { public static var dtype: DType { .int8 } }
extension UInt8: TensorElement { public static var dtype: DType { .uint8 } }
extension Int16: TensorElement { public static var dtype: DType { .int16 } }
extension UInt16: TensorElement { public static var dtype: DType { .uint16 } }
extension Int32: TensorElement { public static var dtype: DType { .int32 } }
extension UInt32: TensorElement { public static var dtype: DType { .uint32 } }
extension Int64: TensorElement { public static var dtype: DType { .int64 } }
extension UInt64: TensorElement { public static var dtype: DType { .uint64 } }
extension Bool: TensorElement {
    public static var dtype: DType { .bool }
    public static var zero: Bool { false }
}

extension DType {
    /// ONNX `TensorProto.DataType` numbers (onnx.proto) of the types held here; string and complex are not.
    static let onnxDataTypes: [(Int, DType)] = [
        (1, .float32), (2, .uint8), (3, .int8), (4, .uint16), (5, .int16), (6, .int32), (7, .int64), (9, .bool),
        (10, .float16), (11, .float64), (12, .uint32), (13, .uint64), (16, .bfloat16), (17, .float8e4m3fn),
        (18, .float8e4m3fnuz), (19, .float8e5m2), (20, .float8e5m2fnuz), (21, .uint4), (22, .int4),
        (23, .float4e2m1), (24, .float8e8m0), (25, .uint2), (26, .int2),
    ]

    /// The type of ONNX data type number `code`, or nil for string, complex and unknown numbers.
    public init?(onnxDataType code: Int) {
        guard let t = DType.onnxDataTypes.first(where: { $0.0 == code })?.1 else { return nil }
        self = t
    }

    /// The ONNX data type number.
    public var onnxDataType: Int { DType.onnxDataTypes.first { $0.1 == self }!.0 }
}
