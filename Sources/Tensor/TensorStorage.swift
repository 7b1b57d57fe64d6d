/// Contiguous, 64-byte aligned, zero-initialised bytes owned by one or more tensors (copy on write).
final class TensorStorage: @unchecked Sendable {
    // Sendable is sound because a storage is only mutated while uniquely referenced (Tensor's CoW).
    let bytes: UnsafeMutableRawPointer
    let byteCount: Int

    init(byteCount: Int, zeroed: Bool = true) {
        self.byteCount = byteCount
        bytes = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        if zeroed { bytes.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1)) }
    }

    func copy() -> TensorStorage {
        let s = TensorStorage(byteCount: byteCount)
        s.bytes.copyMemory(from: bytes, byteCount: byteCount)
        return s
    }

    deinit { bytes.deallocate() }
}
