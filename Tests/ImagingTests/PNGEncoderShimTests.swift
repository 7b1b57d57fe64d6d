import CImageCodecs
import Foundation
import Testing
import TestSupport

/// The C function checks its arguments itself, whatever the Swift layer does, and hands back nothing on error.
@Suite(.onComputeThreads) struct PNGEncoderShimTests {
    static func call(_ pixels: [UInt8], _ w: Int32, _ h: Int32, _ c: Int32, _ depth: Int32 = 8, level: Int32 = 6)
        -> (status: Int32, outIsNull: Bool, length: Int, message: String)
    {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = pixels.withUnsafeBytes { raw in
            message.withUnsafeMutableBufferPointer { m in
                mi_png_encode(raw.baseAddress, raw.count, w, h, c, depth, level, &out, &length, m.baseAddress, m.count)
            }
        }
        defer { mi_png_free(out) }
        return (status, out == nil, length, String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    @Test func argumentsAreCheckedInC() {
        let four = [UInt8](repeating: 1, count: 4)
        for r in [Self.call(four, 0, 4, 1), Self.call(four, 65_536, 1, 1), Self.call(four, 2, 2, 5),
                  Self.call(four, 2, 2, 1, 12), Self.call(four, 2, 2, 1, level: -1), Self.call([1, 2, 3], 2, 2, 1),
                  Self.call(four, 2, 2, 1, 16)] {
            #expect(r.status == MI_ERR_ARGUMENT && r.outIsNull && r.length == 0 && !r.message.isEmpty, "\(r)")
        }
        let ok = Self.call(four, 2, 2, 1)
        #expect(ok.status == MI_OK && !ok.outIsNull && ok.length > 8 && ok.message.isEmpty)
    }
}
