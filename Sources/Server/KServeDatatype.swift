import Foundation
import HTTPTypes
import Tensor

/// KServe V2 datatype names and the conversions between JSON numbers, tensors and raw bytes.
/// FP16 and BF16 carry IEEE half and bfloat16 (JSON numbers are rounded to nearest even); BYTES has no tensor
/// type here and is refused by name.
enum KServeDatatype {
    static let names: [(String, DType)] = [
        ("BOOL", .bool), ("UINT8", .uint8), ("UINT16", .uint16), ("UINT32", .uint32), ("UINT64", .uint64),
        ("INT8", .int8), ("INT16", .int16), ("INT32", .int32), ("INT64", .int64), ("FP32", .float32), ("FP64", .float64),
        ("FP16", .float16), ("BF16", .bfloat16),
    ]
    static let supported = names.map(\.0)

    static func dtype(_ name: String) -> DType? { names.first { $0.0 == name }?.1 }

    /// The datatype name; a type the protocol has no name for (an 8-bit float a model declares) is named in
    /// upper case, and requests for it are refused by `dtype(_:)`.
    static func name(_ dtype: DType) -> String { names.first { $0.1 == dtype }?.0 ?? dtype.rawValue.uppercased() }

    /// JSON numbers as a tensor of `dtype`; a value the type cannot hold exactly (a fraction or an out-of-range
    /// number for an integer type, anything but true/false/0/1 for BOOL) is a 400 naming the input.
    static func tensor(_ numbers: [NSNumber], dtype: DType, shape: [Int], input: String) throws(KServeError) -> Tensor {
        func convert<T: TensorElement>(_ make: (NSNumber) -> T?) throws(KServeError) -> Tensor {
            var values: [T] = []
            values.reserveCapacity(numbers.count)
            for (i, n) in numbers.enumerated() {
                guard let v = make(n) else {
                    throw KServeError(.badRequest, "input '\(input)': value \(n) at index \(i) is not a valid \(name(dtype))")
                }
                values.append(v)
            }
            do { return try Tensor(shape: shape, values: values) } catch {
                throw KServeError(.badRequest, "input '\(input)': \(error)")
            }
        }
        func integer<T: FixedWidthInteger & TensorElement>(_: T.Type) throws(KServeError) -> Tensor {
            try convert { n -> T? in
                let d = n.doubleValue
                if T.isSigned { return Int64(exactly: d).flatMap { T(exactly: $0) } }
                // Beyond 2^53 a double cannot say which integer was meant; take the exact unsigned reading.
                return d >= 0 && d == d.rounded() ? (d < 9.0e15 ? T(exactly: d) : T(exactly: n.uint64Value)) : nil
            }
        }
        switch dtype {
        case .float32: return try convert { Float($0.doubleValue) }
        case .float64: return try convert { $0.doubleValue }
        case .bool: return try convert { n -> Bool? in n.doubleValue == 0 ? false : n.doubleValue == 1 ? true : nil }
        case .int8: return try integer(Int8.self)
        case .int16: return try integer(Int16.self)
        case .int32: return try integer(Int32.self)
        case .int64: return try integer(Int64.self)
        case .uint8: return try integer(UInt8.self)
        case .uint16: return try integer(UInt16.self)
        case .uint32: return try integer(UInt32.self)
        case .uint64: return try integer(UInt64.self)
        default:
            // FP16/BF16: any finite JSON number, rounded; others never get here (`dtype(_:)` has no name for them).
            var values: [Double] = []
            values.reserveCapacity(numbers.count)
            for (i, n) in numbers.enumerated() {
                guard n.doubleValue.isFinite else {
                    throw KServeError(.badRequest, "input '\(input)': value \(n) at index \(i) is not a valid \(name(dtype))")
                }
                values.append(n.doubleValue)
            }
            do { return try Tensor(converting: values, shape: shape, to: dtype, saturate: false) } catch {
                throw KServeError(.badRequest, "input '\(input)': \(error)")
            }
        }
    }

    /// The tensor's elements as JSON values (row-major): booleans, exact integers, or doubles.
    static func json(_ tensor: Tensor) -> [Any] {
        switch tensor.dtype {
        case .bool: return tensor.floats().map { $0 != 0 }
        case .int8, .int16, .int32, .uint8, .uint16, .uint32: return tensor.doubles().map { Int64($0) }
        case .int64: return (try? tensor.values(as: Int64.self)) ?? []
        case .uint64: return (try? tensor.values(as: UInt64.self)) ?? []
        default: return tensor.doubles()  // the float types
        }
    }

    /// The raw bytes (little endian: the host order on every platform we build for).
    static func bytes(_ tensor: Tensor) -> Data {
        tensor.withUnsafeBytes { Data($0) }
    }
}
