internal import DICOM
import Foundation

/// A DICOM lookup table (Modality LUT, VOI LUT or one palette channel): LUT Descriptor
/// (entries, first mapped value, bits per entry) and its data.
struct LookupTable {
    var firstMapped: Int
    var bits: Int
    var values: [Int]

    /// From a LUT item (LUT Descriptor (0028,3002) + LUT Data (0028,3006)).
    init(item: DataSet, signedInput: Bool, what: String) throws(ImagingError) {
        guard let d = item.ints(.lutDescriptor), d.count == 3 else {
            throw .invalidPixelModule(tag: .lutDescriptor, reason: "\(what): LUT Descriptor needs 3 values")
        }
        guard let data = item[.lutData]?.bytes else {
            throw .invalidPixelModule(tag: .lutData, reason: "\(what): LUT Data is missing")
        }
        try self.init(descriptor: d, data: data, signedInput: signedInput, what: what, tag: .lutData)
    }

    init(descriptor d: [Int], data: Data, signedInput: Bool, what: String, tag: Tag) throws(ImagingError) {
        // Number of entries is US whatever the VR says (pydicom adds 65536 to a negative SS value); 0 means 65536.
        let entries = d[0] & 0xFFFF == 0 ? 65536 : d[0] & 0xFFFF
        // The first mapped value is SS when the input is signed (PS3.3 C.11.1.1.1).
        firstMapped = signedInput ? Int(Int16(truncatingIfNeeded: d[1])) : d[1] & 0xFFFF
        bits = d[2]
        guard (1...16).contains(bits) else {
            throw .invalidPixelModule(tag: tag, reason: "\(what): \(bits) bits per LUT entry")
        }
        let bytes = [UInt8](data)
        if bytes.count >= entries * 2 {
            values = (0..<entries).map { Int(bytes[2 * $0]) | Int(bytes[2 * $0 + 1]) << 8 }
        } else if bytes.count >= entries {
            values = (0..<entries).map { Int(bytes[$0]) }  // 8-bit entries packed in bytes
        } else {
            throw .invalidPixelModule(tag: tag, reason: "\(what): \(entries) entries need \(entries * 2) bytes, LUT data has \(bytes.count)")
        }
        /// Bytes per stored entry, as pydicom's palette infers it from the data length.
        entryBytes = bytes.count >= entries * 2 ? 2 : 1
    }

    /// 1 or 2: how the entries are stored (pydicom types palette output by this, not the nominal bits).
    var entryBytes: Int

    /// LUT output for an input value: inputs below the first mapped value map to the first entry,
    /// above the last to the last.
    @inline(__always) func map(_ x: Int) -> Int {
        let i = x - firstMapped
        return values[i < 0 ? 0 : (i >= values.count ? values.count - 1 : i)]
    }
}
