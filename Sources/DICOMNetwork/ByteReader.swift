/// Bounds-checked big-endian reads over peer bytes (the Upper Layer is big endian, PS3.8 9.3.1).
/// Every read checks what is left and throws `PDUError.truncated` naming `context`.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from offset: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = min(end ?? bytes.count, bytes.count)
    }

    var remaining: Int { end - offset }
    var isAtEnd: Bool { offset >= end }

    mutating func need(_ n: Int, _ context: String) throws(PDUError) {
        guard n >= 0, remaining >= n else { throw .truncated(context: context, needed: n, available: remaining) }
    }

    mutating func u8(_ context: String) throws(PDUError) -> UInt8 {
        try need(1, context)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ context: String) throws(PDUError) -> UInt16 {
        try need(2, context)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u32(_ context: String) throws(PDUError) -> UInt32 {
        try need(4, context)
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    mutating func take(_ n: Int, _ context: String) throws(PDUError) -> [UInt8] {
        try need(n, context)
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    mutating func skip(_ n: Int, _ context: String) throws(PDUError) {
        try need(n, context)
        offset += n
    }

    /// A reader over the next `n` bytes; this one moves past them.
    mutating func sub(_ n: Int, _ context: String) throws(PDUError) -> ByteReader {
        try need(n, context)
        defer { offset += n }
        return ByteReader(bytes, from: offset, to: offset + n)
    }
}

/// Big-endian writes.
struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes += [UInt8(v >> 8), UInt8(v & 0xFF)] }
    mutating func u32(_ v: UInt32) { bytes += [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    mutating func zeros(_ n: Int) { bytes += [UInt8](repeating: 0, count: n) }
}
