extension Tensor {
    /// The elements as `Int64`, without a trapping conversion: exact for every integer type (`uint64` above
    /// `Int64.max` saturates); floating-point values are truncated toward zero and saturate at the bounds,
    /// NaN becomes 0. This is how index-like values (Slice's `ends = INT64_MAX`, Reshape's shape, Resize's
    /// sizes) must be read: going through `Double` rounds `Int64.max` up to 2^63, which no `Int` holds.
    public func int64s() -> [Int64] {
        let n = count
        let p = storage.bytes
        switch dtype {
        case .int64: return Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: Int64.self), count: n))
        case .uint64: return (0..<n).map { Int64(clamping: p.load(fromByteOffset: $0 * 8, as: UInt64.self)) }
        case .int32: return (0..<n).map { Int64(p.load(fromByteOffset: $0 * 4, as: Int32.self)) }
        case .uint32: return (0..<n).map { Int64(p.load(fromByteOffset: $0 * 4, as: UInt32.self)) }
        case .int16: return (0..<n).map { Int64(p.load(fromByteOffset: $0 * 2, as: Int16.self)) }
        case .uint16: return (0..<n).map { Int64(p.load(fromByteOffset: $0 * 2, as: UInt16.self)) }
        case .int8: return (0..<n).map { Int64(p.load(fromByteOffset: $0, as: Int8.self)) }
        case .uint8, .bool: return (0..<n).map { Int64(p.load(fromByteOffset: $0, as: UInt8.self)) }
        case .int4, .int2: return (0..<n).map { Int64(p.load(fromByteOffset: $0, as: Int8.self)) }
        case .uint4, .uint2: return (0..<n).map { Int64(p.load(fromByteOffset: $0, as: UInt8.self)) }
        case .float32, .float64, .float16, .bfloat16, .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz,
             .float8e8m0, .float4e2m1:
            return doubles().map(Int64.init(saturating:))
        }
    }

    /// `int64s()` as `[Int]` (64-bit on every platform we build for).
    public func ints() -> [Int] { int64s().map { Int($0) } }
}

extension Int64 {
    /// `value` truncated toward zero, clamped to `Int64.min...Int64.max`; NaN is 0.
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9_223_372_036_854_775_807.0 {  // 2^63 as a Double: the first value past Int64.max
            self = .max
        } else if value <= -9_223_372_036_854_775_808.0 {
            self = .min
        } else {
            self = Int64(value)
        }
    }
}
