import Foundation
import Imaging

/// One input: PNG decode and the display stage.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    var limits = DecodeLimits()
    limits.maxTotalPixels = 1 << 22  // keep each input's work small; the limits themselves are unit-tested
    let data = Data(bytes: start, count: count)
    if let image = try? PNGDecoder().decode(data, limits: limits) {
        _ = try? image.modalityFrame(0)
        _ = try? image.displayFrame(0)
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

// SwiftPM links executables with main aliased to <Target>_main; libFuzzer's own main is then not
// linked, so hand control to its driver here.
@_cdecl("FuzzPNG_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzOne)
}
