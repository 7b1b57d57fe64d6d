import Foundation
import Imaging

/// One input: PNG decode and display stage.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var limits = DecodeLimits()
    limits.maxTotalPixels = 1 << 22  // keep each input's work small; limits themselves are tested elsewhere
    let data = Data(bytes: start, count: count)
    if let image = try? PNGDecoder().decode(data, limits: limits) {
        _ = try? image.modalityFrame(0)
        _ = try? image.displayFrame(0)
    }
    return 0
}
