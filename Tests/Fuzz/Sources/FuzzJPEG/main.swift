import Foundation
import FuzzDriver
import Imaging

/// One input: JPEG decode (EXIF orientation included) and the display stage.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    var limits = DecodeLimits()
    limits.maxTotalPixels = 1 << 22  // keep each input's work small; the limits themselves are unit-tested
    let data = Data(bytes: start, count: count)
    if let image = try? JPEGDecoder().decode(data, limits: limits) {
        _ = try? image.modalityFrame(0)
        _ = try? image.displayFrame(0)
    }
    return 0
}

@_cdecl("FuzzJPEG_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOne)
}
