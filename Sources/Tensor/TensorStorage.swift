/// Contiguous, 64-byte aligned bytes owned by one or more tensors (copy on write), or borrowed from an
/// `Arena` that the storage keeps alive.
final class TensorStorage: @unchecked Sendable {
    // Sendable is sound because a storage is only mutated while uniquely referenced (Tensor's CoW).
    let bytes: UnsafeMutableRawPointer
    let byteCount: Int
    /// The arena the bytes belong to; nil when the storage owns them.
    let arena: Arena?

    init(byteCount: Int, zeroed: Bool = true) {
        self.byteCount = byteCount
        bytes = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        if zeroed { bytes.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1)) }
        arena = nil
    }

    init(arena: Arena, offset: Int, byteCount: Int) {
        precondition(offset >= 0 && offset + byteCount <= arena.byteCount, "arena region out of bounds")
        self.arena = arena
        self.byteCount = byteCount
        bytes = arena.base + offset
    }

    /// An owned copy (also how a tensor leaves an arena).
    func copy() -> TensorStorage {
        let s = TensorStorage(byteCount: byteCount, zeroed: false)
        s.bytes.copyMemory(from: bytes, byteCount: byteCount)
        return s
    }

    deinit { if arena == nil { bytes.deallocate() } }
}

/// One block of memory that a plan carves into the intermediate tensors of a run (offsets fixed by value
/// liveness at plan time). Tensors in it keep it alive; whoever hands it out must know no tensor of a
/// previous run still uses it before reusing it.
public final class Arena: @unchecked Sendable {
    // Sendable: the arena itself is immutable; its bytes are written only through tensors (see TensorStorage).
    let base: UnsafeMutableRawPointer
    public let byteCount: Int

    public init(byteCount: Int) {
        self.byteCount = byteCount
        base = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
    }

    deinit { base.deallocate() }
}

extension Tensor {
    /// An uninitialised tensor in `arena` at byte `offset` (64-byte aligned by the planner).
    public init(arena: Arena, offset: Int, dtype: DType, shape: [Int]) {
        self.init(dtype: dtype, shape: shape,
                  storage: TensorStorage(arena: arena, offset: offset, byteCount: Tensor.elementCount(shape) * dtype.byteSize))
    }

    /// Whether the bytes live in an arena (and must be copied out before the arena is reused).
    public var isInArena: Bool { storage.arena != nil }

    /// The same tensor with storage of its own (a copy when it was in an arena).
    public func detachedFromArena() -> Tensor {
        isInArena ? Tensor(dtype: dtype, shape: shape, storage: storage.copy()) : self
    }
}
