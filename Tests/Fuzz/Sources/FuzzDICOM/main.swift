import Foundation
import Imaging

/// One input: the whole DICOM path (parse, pixel decode, modality and display stages of frame 0).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDICOM(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var limits = DecodeLimits()
    limits.maxTotalPixels = 1 << 22  // keep each input's work small; limits themselves are tested elsewhere
    let data = Data(bytes: start, count: count)
    if let image = try? DICOMImageDecoder().decode(data, limits: limits) {
        _ = try? image.modalityFrame(0)
        _ = try? image.displayFrame(0)
    }
    return 0
}
