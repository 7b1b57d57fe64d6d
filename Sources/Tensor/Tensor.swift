/// A dense, row-major (C order) n-dimensional array of one `DType`.
///
/// Value semantics: copies share storage until one of them is mutated.
public struct Tensor: Sendable {
    public let dtype: DType
    /// Dimensions, outermost first. `[]` is a scalar (one element).
    public let shape: [Int]
    var storage: TensorStorage

    /// Number of elements: the product of `shape` (1 for a scalar).
    public var count: Int { shape.reduce(1, *) }
    public var byteCount: Int { count * dtype.byteSize }

    /// A zero-filled tensor. Dimensions must be non-negative.
    public init(zeros dtype: DType, shape: [Int]) throws(TensorError) {
        try self.init(dtype, shape, zeroed: true)
    }

    /// A tensor whose bytes are not initialised: for kernels that overwrite every element
    /// (e.g. a GEMM with beta 0). Reading before writing gives arbitrary values.
    public init(uninitialized dtype: DType, shape: [Int]) throws(TensorError) {
        try self.init(dtype, shape, zeroed: false)
    }

    private init(_ dtype: DType, _ shape: [Int], zeroed: Bool) throws(TensorError) {
        try Tensor.validate(shape)
        self.dtype = dtype
        self.shape = shape
        let (bytes, overflow) = Tensor.elementCount(shape).multipliedReportingOverflow(by: dtype.byteSize)
        if overflow { throw .invalidShape(shape, reason: "byte size overflows") }
        storage = TensorStorage(byteCount: bytes, zeroed: zeroed)
    }

    /// A tensor holding `values` in row-major order; `values.count` must equal the shape's element count.
    public init<T: TensorElement>(shape: [Int], values: [T]) throws(TensorError) {
        try Tensor.validate(shape)
        guard Tensor.elementCount(shape) == values.count else {
            throw .countMismatch(shape: shape, count: values.count)
        }
        self.dtype = T.dtype
        self.shape = shape
        storage = TensorStorage(byteCount: values.count * MemoryLayout<T>.stride)
        values.withUnsafeBytes { storage.bytes.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    /// The same bytes viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) throws(TensorError) -> Tensor {
        try Tensor.validate(newShape)
        guard Tensor.elementCount(newShape) == count else { throw .countMismatch(shape: newShape, count: count) }
        return Tensor(dtype: dtype, shape: newShape, storage: storage)
    }

    init(dtype: DType, shape: [Int], storage: TensorStorage) {
        self.dtype = dtype
        self.shape = shape
        self.storage = storage
    }

    /// The elements as `[T]`; `T` must match `dtype`.
    public func values<T: TensorElement>(as type: T.Type) throws(TensorError) -> [T] {
        guard T.dtype == dtype else { throw .dtypeMismatch(expected: T.dtype, actual: dtype) }
        return Array(UnsafeBufferPointer(start: storage.bytes.assumingMemoryBound(to: T.self), count: count))
    }

    /// The elements converted to Float (exact for every integer type up to 24 bits and every float type but float64).
    public func floats() -> [Float] {
        let n = count
        let p = storage.bytes
        switch dtype {
        case .float32: return Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: Float.self), count: n))
        case .float64: return (0..<n).map { Float(p.load(fromByteOffset: $0 * 8, as: Double.self)) }
        case .int8: return (0..<n).map { Float(p.load(fromByteOffset: $0, as: Int8.self)) }
        case .uint8: return (0..<n).map { Float(p.load(fromByteOffset: $0, as: UInt8.self)) }
        case .bool: return (0..<n).map { p.load(fromByteOffset: $0, as: UInt8.self) != 0 ? 1 : 0 }
        case .int16: return (0..<n).map { Float(p.load(fromByteOffset: $0 * 2, as: Int16.self)) }
        case .uint16: return (0..<n).map { Float(p.load(fromByteOffset: $0 * 2, as: UInt16.self)) }
        case .int32: return (0..<n).map { Float(p.load(fromByteOffset: $0 * 4, as: Int32.self)) }
        case .uint32: return (0..<n).map { Float(p.load(fromByteOffset: $0 * 4, as: UInt32.self)) }
        case .int64: return (0..<n).map { Float(p.load(fromByteOffset: $0 * 8, as: Int64.self)) }
        case .uint64: return (0..<n).map { Float(p.load(fromByteOffset: $0 * 8, as: UInt64.self)) }
        default: return storageTypeDoubles().map(Float.init)
        }
    }

    /// The elements converted to Double (exact for every type but 64-bit integers beyond 2^53).
    public func doubles() -> [Double] {
        let n = count
        let p = storage.bytes
        switch dtype {
        case .float64: return Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: Double.self), count: n))
        case .int32: return (0..<n).map { Double(p.load(fromByteOffset: $0 * 4, as: Int32.self)) }
        case .uint32: return (0..<n).map { Double(p.load(fromByteOffset: $0 * 4, as: UInt32.self)) }
        case .int64: return (0..<n).map { Double(p.load(fromByteOffset: $0 * 8, as: Int64.self)) }
        case .uint64: return (0..<n).map { Double(p.load(fromByteOffset: $0 * 8, as: UInt64.self)) }
        case .float32, .int8, .uint8, .bool, .int16, .uint16: return floats().map(Double.init)
        default: return storageTypeDoubles()
        }
    }

    /// Read-only access to the raw little-endian bytes.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: storage.bytes, count: byteCount))
    }

    /// Mutable access to the raw bytes (copies first if the storage is shared).
    public mutating func withUnsafeMutableBytes<R, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(UnsafeMutableRawBufferPointer(start: storage.bytes, count: byteCount))
    }

    /// The product of `shape`, or `Int.max` when it overflows (so a hostile shape fails a size check
    /// instead of trapping).
    public static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            let (m, o) = n.multipliedReportingOverflow(by: d)
            n = o ? Int.max : m
        }
        return n
    }

    static func validate(_ shape: [Int]) throws(TensorError) {
        if shape.contains(where: { $0 < 0 }) { throw .invalidShape(shape, reason: "negative dimension") }
        if elementCount(shape) == Int.max { throw .invalidShape(shape, reason: "element count overflows") }
    }
}

extension Tensor: Equatable {
    /// Equal when dtype, shape and bytes are equal.
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.dtype == rhs.dtype, lhs.shape == rhs.shape else { return false }
        return lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in a.elementsEqual(b) } }
    }
}
