import Foundation

/// Building typed sample arrays from little-endian bytes, with pydicom's corrections.
enum DICOMSamples {
    /// Little-endian sample bytes -> the stored type of Bits Allocated / Pixel Representation.
    /// `correctUnusedBits`: shift left then right by (allocated - stored) bits, which masks unsigned values
    /// and sign-extends signed ones from Bits Stored (pydicom's `correct_unused_bits`).
    static func buffer(_ bytes: UnsafeRawBufferPointer, count: Int, bitsAllocated: Int, bitsStored: Int,
                       signed: Bool, correctUnusedBits: Bool) -> PixelBuffer
    {
        let shift = correctUnusedBits ? bitsAllocated - bitsStored : 0
        guard count > 0, bytes.count >= count * max(bitsAllocated / 8, 1) else {
            return .uint8([])  // callers check lengths first; an empty buffer keeps this total
        }
        switch (bitsAllocated, signed) {
        case (8, _):
            var a = [UInt8](unsafeUninitializedCapacity: count) { b, n in
                b.baseAddress!.initialize(from: bytes.bindMemory(to: UInt8.self).baseAddress!, count: count)
                n = count
            }
            if shift > 0 { for i in a.indices { a[i] = (a[i] << shift) >> shift } }
            return .uint8(a)
        case (16, false):
            var a = load(UInt16.self, bytes, count)
            if shift > 0 { for i in a.indices { a[i] = (a[i] << shift) >> shift } }
            return .uint16(a)
        case (16, true):
            var a = load(Int16.self, bytes, count)
            if shift > 0 { for i in a.indices { a[i] = (a[i] << shift) >> shift } }
            return .int16(a)
        case (32, false):
            var a = load(UInt32.self, bytes, count)
            if shift > 0 { for i in a.indices { a[i] = (a[i] << shift) >> shift } }
            return .uint32(a)
        default:
            var a = load(Int32.self, bytes, count)
            if shift > 0 { for i in a.indices { a[i] = (a[i] << shift) >> shift } }
            return .int32(a)
        }
    }

    /// Decoded Int32 samples (JPEG 2000) narrowed to the stored type as pydicom does (truncating), then
    /// shifted left and back right by `shift` bits (sign-extends signed types, masks unsigned ones).
    static func buffer(narrowing samples: [Int32], bitsAllocated: Int, shift: Int, signed: Bool) -> PixelBuffer {
        func narrow<T: FixedWidthInteger>(_: T.Type) -> [T] {
            shift > 0 ? samples.map { (T(truncatingIfNeeded: $0) << shift) >> shift } : samples.map { T(truncatingIfNeeded: $0) }
        }
        switch (bitsAllocated, signed) {
        case (8, _): return .uint8(narrow(UInt8.self))
        case (16, false): return .uint16(narrow(UInt16.self))
        case (16, true): return .int16(narrow(Int16.self))
        case (32, false): return .uint32(narrow(UInt32.self))
        default: return .int32(narrow(Int32.self))
        }
    }

    private static func load<T: FixedWidthInteger>(_: T.Type, _ bytes: UnsafeRawBufferPointer, _ count: Int) -> [T] {
        [T](unsafeUninitializedCapacity: count) { b, n in
            // memcpy: the source may be unaligned; the host is little-endian like the bytes.
            memcpy(b.baseAddress!, bytes.baseAddress!, count * MemoryLayout<T>.size)
            n = count
        }
    }

    /// 1-bit samples, least significant bit first, starting `bitOffset` bits into `bytes`.
    static func unpackBits(_ bytes: UnsafeRawBufferPointer, bitOffset: Int, count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            let bit = bitOffset + i
            out[i] = (bytes[bit >> 3] >> UInt8(bit & 7)) & 1
        }
        return out
    }

    /// Reverses the byte order of each `width`-byte sample in place.
    static func swapBytes(_ bytes: inout [UInt8], width: Int) {
        guard width > 1 else { return }
        var i = 0
        while i + width <= bytes.count {
            for k in 0..<(width / 2) { bytes.swapAt(i + k, i + width - 1 - k) }
            i += width
        }
    }

    /// Swaps the two 16-bit halves of each 32-bit sample (32-bit data that was read as 16-bit words).
    static func swapHalves(_ bytes: inout [UInt8]) {
        var i = 0
        while i + 4 <= bytes.count {
            bytes.swapAt(i, i + 2)
            bytes.swapAt(i + 1, i + 3)
            i += 4
        }
    }
}

extension PixelBuffer {
    /// Reorders planar samples (RRR…GGG…BBB per frame) into interleaved RGB.
    func interleavingPlanes(frames: Int, pixelsPerFrame: Int) -> PixelBuffer {
        func go<T>(_ a: [T]) -> [T] {
            var out = a
            for f in 0..<frames {
                let base = f * pixelsPerFrame * 3
                for p in 0..<pixelsPerFrame {
                    for s in 0..<3 { out[base + p * 3 + s] = a[base + s * pixelsPerFrame + p] }
                }
            }
            return out
        }
        switch self {
        case .uint8(let a): return .uint8(go(a))
        case .uint16(let a): return .uint16(go(a))
        case .int16(let a): return .int16(go(a))
        case .int32(let a): return .int32(go(a))
        case .uint32(let a): return .uint32(go(a))
        }
    }
}
