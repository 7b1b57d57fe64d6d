import CZlib

extension DICOMParser {
    /// Inflates the raw deflate stream (no zlib header, PS3.5 A.5) starting at `from`,
    /// refusing output larger than `limit` bytes.
    static func inflateRaw(_ bytes: [UInt8], from start: Int, limit: Int) throws(DICOMError) -> [UInt8] {
        guard start <= bytes.count else { throw .inflateFailed(reason: "no deflated data after the file meta") }
        var stream = z_stream()
        guard czlib_inflate_init_raw(&stream, -15) == Z_OK else { throw .inflateFailed(reason: "inflateInit2 failed") }
        defer { inflateEnd(&stream) }

        var out: [UInt8] = []
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        let inputCount = bytes.count - start
        var status: Int32 = Z_OK
        var failure: String?
        bytes.withUnsafeBufferPointer { input in
            guard let base = input.baseAddress else { failure = "no input"; return }
            stream.next_in = UnsafeMutablePointer(mutating: base + start)
            stream.avail_in = UInt32(clamping: inputCount)
            while true {
                let produced: Int = buffer.withUnsafeMutableBufferPointer { outBuf in
                    guard let ob = outBuf.baseAddress else { return 0 }
                    stream.next_out = ob
                    stream.avail_out = UInt32(chunk)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return chunk - Int(stream.avail_out)
                }
                if status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR {
                    let msg = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    failure = msg
                    return
                }
                if out.count + produced > limit {
                    failure = "inflated size exceeds the limit of \(limit) bytes"
                    return
                }
                out.append(contentsOf: buffer[0..<produced])
                if status == Z_STREAM_END { return }
                if produced == 0 && (status == Z_BUF_ERROR || stream.avail_in == 0) {
                    failure = "deflate stream is truncated"
                    return
                }
            }
        }
        if let failure { throw .inflateFailed(reason: failure) }
        return out
    }
}
