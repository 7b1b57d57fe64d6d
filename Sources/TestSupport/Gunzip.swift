import CZlib
import Foundation

/// Inflates a gzip stream (the committed reference arrays are `.npy.gz`).
func gunzip(_ data: Data) -> Data? {
    var stream = z_stream()
    guard czlib_inflate_init_raw(&stream, 15 + 16) == Z_OK else { return nil }  // +16: gzip header
    defer { inflateEnd(&stream) }
    var out = Data()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var input = [UInt8](data)
    let status: Int32 = input.withUnsafeMutableBufferPointer { inp in
        stream.next_in = inp.baseAddress
        stream.avail_in = uInt(inp.count)
        var status = Z_OK
        while status == Z_OK {
            status = chunk.withUnsafeMutableBufferPointer { buf in
                stream.next_out = buf.baseAddress
                stream.avail_out = uInt(buf.count)
                let s = inflate(&stream, Z_NO_FLUSH)
                out.append(buf.baseAddress!, count: buf.count - Int(stream.avail_out))
                return s
            }
        }
        return status
    }
    return status == Z_STREAM_END ? out : nil
}
