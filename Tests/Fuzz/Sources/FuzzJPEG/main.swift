import Foundation
import Imaging

/// One input: JPEG decode (EXIF orientation included) and display stage.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var limits = DecodeLimits()
    limits.maxTotalPixels = 1 << 22  // keep each input's work small; limits themselves are tested elsewhere
    let data = Data(bytes: start, count: count)
    if let image = try? JPEGDecoder().decode(data, limits: limits) {
        _ = try? image.modalityFrame(0)
        _ = try? image.displayFrame(0)
    }
    return 0
}
