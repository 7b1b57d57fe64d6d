extension Tensor {
    /// The float32 elements as a pointer (row-major), for kernels. The tensor must be float32.
    @inline(__always)
    public func withFloats<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        precondition(dtype == .float32, "withFloats on a \(dtype.rawValue) tensor")
        return try body(UnsafePointer(storage.bytes.assumingMemoryBound(to: Float.self)))
    }

    /// Mutable float32 elements (copies first if the storage is shared).
    @inline(__always)
    public mutating func withMutableFloats<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        precondition(dtype == .float32, "withMutableFloats on a \(dtype.rawValue) tensor")
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(storage.bytes.assumingMemoryBound(to: Float.self))
    }
}

extension Optional where Wrapped == Tensor {
    /// The float32 elements of an optional tensor (nil when absent).
    @inline(__always)
    public func withOptionalFloats<R>(_ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
        guard let t = self else { return try body(nil) }
        return try t.withFloats { try body($0) }
    }
}

extension Tensor {
    /// Whether both tensors view the same storage (same bytes, not merely equal ones).
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }
}
