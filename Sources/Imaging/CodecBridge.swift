internal import CImageCodecs
import Foundation

/// Calls one CImageCodecs function with the bytes and a message buffer; returns its status and message.
private func withCodecCall(_ data: Data, _ body: (UnsafePointer<UInt8>, Int, UnsafeMutablePointer<CChar>, Int) -> Int32)
    -> (status: Int32, message: String)
{
    var message = [CChar](repeating: 0, count: 512)
    let status: Int32 = data.withUnsafeBytes { raw in
        guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return MI_ERR_FORMAT }
        return message.withUnsafeMutableBufferPointer { body(base, raw.count, $0.baseAddress!, $0.count) }
    }
    let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return (status, text.isEmpty ? "empty or truncated data" : text)
}

private func codecError(_ status: Int32, _ message: String, _ format: ImageFormat) -> ImagingError {
    status == MI_ERR_UNSUPPORTED ? .unsupported(format: format, what: message) : .corrupt(format: format, message: message)
}

/// Header facts of a PNG or JPEG as the C layer reports them.
struct CodecInfo {
    var width: Int, height: Int, channels: Int, bitDepth: Int
    var sourceBitDepth: Int, sourceColorType: Int, sourceChannels: Int, interlaced: Bool, orientation: Int

    init(_ i: mi_image_info) {
        width = Int(i.width)
        height = Int(i.height)
        channels = Int(i.channels)
        bitDepth = Int(i.bit_depth)
        sourceBitDepth = Int(i.source_bit_depth)
        sourceColorType = Int(i.source_color_type)
        sourceChannels = Int(i.source_channels)
        interlaced = i.interlaced != 0
        orientation = Int(i.orientation)
    }
}

func pngInfo(_ data: Data) throws(ImagingError) -> CodecInfo {
    var info = mi_image_info()
    let r = withCodecCall(data) { mi_png_info($0, $1, &info, $2, $3) }
    guard r.status == MI_OK else { throw codecError(r.status, r.message, .png) }
    return CodecInfo(info)
}

/// PNG samples, interleaved; 8-bit as `[UInt8]`, 16-bit as `[UInt16]` (host order).
func pngDecode(_ data: Data, info: CodecInfo) throws(ImagingError) -> PixelBuffer {
    let count = info.width * info.height * info.channels
    var raw = mi_image_info()
    if info.bitDepth == 16 {
        var out = [UInt16](repeating: 0, count: count)
        let r = out.withUnsafeMutableBytes { o in
            withCodecCall(data) { mi_png_decode($0, $1, o.baseAddress, o.count, &raw, $2, $3) }
        }
        guard r.status == MI_OK else { throw codecError(r.status, r.message, .png) }
        return .uint16(out)
    }
    var out = [UInt8](repeating: 0, count: count)
    let r = out.withUnsafeMutableBytes { o in
        withCodecCall(data) { mi_png_decode($0, $1, o.baseAddress, o.count, &raw, $2, $3) }
    }
    guard r.status == MI_OK else { throw codecError(r.status, r.message, .png) }
    return .uint8(out)
}

func jpegInfo(_ data: Data, applyOrientation: Bool = true) throws(ImagingError) -> CodecInfo {
    if let reason = JPEGMarkers(data).unsupportedReason { throw .unsupported(format: .jpeg, what: reason) }
    var info = mi_image_info()
    let r = withCodecCall(data) { mi_jpeg_info($0, $1, &info, $2, $3) }
    guard r.status == MI_OK else { throw codecError(r.status, r.message, .jpeg) }
    var result = CodecInfo(info)
    if !applyOrientation && result.orientation >= 5 { swap(&result.width, &result.height) }
    return result
}

/// JPEG samples as `[UInt8]`, gray or RGB; `colorTransform: false` returns 3-component data as stored.
func jpegDecode(_ data: Data, info: CodecInfo, applyOrientation: Bool, colorTransform: Bool) throws(ImagingError)
    -> [UInt8]
{
    var out = [UInt8](repeating: 0, count: info.width * info.height * info.channels)
    var raw = mi_image_info()
    let r = out.withUnsafeMutableBytes { o in
        withCodecCall(data) {
            mi_jpeg_decode($0, $1, o.baseAddress, o.count, applyOrientation ? 1 : 0, colorTransform ? -1 : 0, &raw, $2, $3)
        }
    }
    guard r.status == MI_OK else { throw codecError(r.status, r.message, .jpeg) }
    return out
}

/// One JPEG frame of a DICOM file (no EXIF orientation). `colorTransform: false` returns the components
/// as stored (pydicom decodes them so unless an Adobe APP14 segment says otherwise).
func decodeJPEGFrame(_ data: Data, colorTransform: Bool) throws(ImagingError)
    -> (pixels: [UInt8], width: Int, height: Int, channels: Int)
{
    let info = try jpegInfo(data, applyOrientation: false)
    let pixels = try jpegDecode(data, info: info, applyOrientation: false, colorTransform: colorTransform)
    return (pixels, info.width, info.height, info.channels)
}

/// Header of a JPEG 2000 codestream: width, height, components, precision, signedness.
func jpeg2000Info(_ data: Data) throws(ImagingError) -> (width: Int, height: Int, components: Int, precision: Int, isSigned: Bool) {
    var h = mi_j2k_header()
    let r = withCodecCall(data) { mi_j2k_info($0, $1, &h, $2, $3) }
    guard r.status == MI_OK else { throw codecError(r.status, r.message, .dicom) }
    return (Int(h.width), Int(h.height), Int(h.components), Int(h.precision), h.is_signed != 0)
}

/// One JPEG 2000 frame: samples of every component interleaved, as Int32.
func decodeJPEG2000Frame(_ data: Data, maxSamples: Int) throws(ImagingError)
    -> (samples: [Int32], width: Int, height: Int, components: Int, precision: Int, isSigned: Bool)
{
    let header = try jpeg2000Info(data)
    let (n, overflow) = header.width.multipliedReportingOverflow(by: header.height)
    let (total, overflow2) = n.multipliedReportingOverflow(by: header.components)
    guard !overflow, !overflow2, header.width > 0, header.height > 0, total <= maxSamples else {
        throw .limitExceeded(what: "JPEG 2000 samples", value: overflow || overflow2 ? Int.max : total, maximum: maxSamples)
    }
    var out = [Int32](repeating: 0, count: total)
    var h = mi_j2k_header()
    let r = out.withUnsafeMutableBufferPointer { o in
        withCodecCall(data) { mi_j2k_decode($0, $1, o.baseAddress, o.count, &h, $2, $3) }
    }
    guard r.status == MI_OK else { throw codecError(r.status, r.message, .dicom) }
    return (out, Int(h.width), Int(h.height), Int(h.components), Int(h.precision), h.is_signed != 0)
}
