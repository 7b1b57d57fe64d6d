import Foundation
import Tensor

/// TensorProto -> Tensor: raw_data (little-endian) or the typed fields, and external data files.
enum TensorDecoding {
    static func dtype(_ t: Int, name: String) throws(ONNXError) -> DType {
        guard let d = DType(onnxDataType: t) else { throw .unsupportedDataType(name: name, dataType: t) }
        return d
    }

    static func tensor(_ t: Onnx_TensorProto, baseDirectory: URL?) throws(ONNXError) -> Tensor {
        let dt = try dtype(Int(t.dataType), name: t.name)
        let shape = t.dims.map { Int($0) }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .invalidTensor(name: t.name, reason: "negative dimension in \(shape)") }
        // The size is checked against the bytes actually present before anything is allocated: a few bytes
        // of protobuf may declare dims of terabytes.
        let n = Tensor.elementCount(shape)
        // Sub-byte types are packed (the first element in the low bits); the byte count rounds up.
        let (bits, overflow) = n.multipliedReportingOverflow(by: dt.packedBits)
        guard n != .max, !overflow else { throw .invalidTensor(name: t.name, reason: "\(shape) has more elements than Int.max") }
        let byteCount = (bits + 7) / 8
        let raw: Data?
        if t.dataLocation == .external {
            raw = try externalBytes(t, baseDirectory: baseDirectory, byteCount: byteCount)
        } else if t.hasRawData {
            raw = t.rawData
        } else if dt.packedBits <= 8, dt.byteSize == 1, ![.int8, .uint8, .bool].contains(dt) {
            // The 8-bit floats and the packed types keep one (packed) byte per int32_data entry.
            raw = Data(t.int32Data.map { UInt8(truncatingIfNeeded: $0) })
        } else if dt.byteSize == 2, dt.isFloatingPoint {
            // float16/bfloat16: the bit pattern in the low 16 bits of each int32_data entry.
            raw = Data(t.int32Data.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] })
        } else {
            raw = nil
        }
        if let raw {
            guard raw.count == byteCount else {
                throw .invalidTensor(name: t.name, reason: "\(raw.count) bytes of data for \(n) \(dt.rawValue) values")
            }
            var result: Tensor
            do { result = try Tensor(uninitialized: dt, shape: shape) } catch { throw .invalidTensor(name: t.name, reason: error.description) }
            result.withUnsafeMutableBytes { dst in
                raw.withUnsafeBytes { src in
                    if dt.packedBits < 8 { unpack(src, into: dst, dtype: dt) } else { dst.copyMemory(from: src) }
                }
            }
            return result
        }
        func fill<T: TensorElement>(_ values: [T]) throws(ONNXError) -> Tensor {
            guard values.count == n else {
                throw .invalidTensor(name: t.name, reason: "\(values.count) values for shape \(shape)")
            }
            do { return try Tensor(shape: shape, values: values) } catch { throw .invalidTensor(name: t.name, reason: error.description) }
        }
        switch dt {
        case .float32: return try fill(t.floatData)
        case .float64: return try fill(t.doubleData)
        case .int64: return try fill(t.int64Data)
        case .int32: return try fill(t.int32Data)
        case .int16: return try fill(t.int32Data.map { Int16(truncatingIfNeeded: $0) })
        case .uint16: return try fill(t.int32Data.map { UInt16(truncatingIfNeeded: $0) })
        case .int8: return try fill(t.int32Data.map { Int8(truncatingIfNeeded: $0) })
        case .uint8: return try fill(t.int32Data.map { UInt8(truncatingIfNeeded: $0) })
        case .bool: return try fill(t.int32Data.map { $0 != 0 })
        case .uint32: return try fill(t.uint64Data.map { UInt32(truncatingIfNeeded: $0) })
        case .uint64: return try fill(t.uint64Data)
        default: throw .invalidTensor(name: t.name, reason: "no data")  // every other type is read above
        }
    }

    /// Spreads packed 4- or 2-bit elements (low bits first) one per byte, sign-extending the signed integers.
    static func unpack(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer, dtype: DType) {
        let bits = dtype.packedBits, perByte = 8 / bits, mask = UInt8((1 << bits) - 1)
        let signed = dtype == .int4 || dtype == .int2
        for i in 0..<dst.count {
            let v = (src[i / perByte] >> UInt8((i % perByte) * bits)) & mask
            dst[i] = signed && v & (1 << (bits - 1)) != 0 ? v | ~mask : v
        }
    }

    /// Reads `length` bytes at `offset` of the file named by `location`, which must stay inside the model's folder.
    static func externalBytes(_ t: Onnx_TensorProto, baseDirectory: URL?, byteCount: Int) throws(ONNXError) -> Data {
        var info: [String: String] = [:]
        for e in t.externalData { info[e.key] = e.value }
        guard let location = info["location"], !location.isEmpty else {
            throw .externalData(name: t.name, reason: "no 'location'")
        }
        guard let base = baseDirectory else { throw .externalData(name: t.name, reason: "no model folder to resolve '\(location)'") }
        let file = base.appendingPathComponent(location).standardizedFileURL
        let root = base.standardizedFileURL.path
        guard !location.hasPrefix("/"), file.path.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw .externalData(name: t.name, reason: "'\(location)' is outside the model's folder")
        }
        let offset = Int(info["offset"] ?? "0") ?? -1
        let length = info["length"].flatMap { Int($0) } ?? byteCount
        guard offset >= 0, length == byteCount else {
            throw .externalData(name: t.name, reason: "offset \(info["offset"] ?? "") / length \(info["length"] ?? "") do not fit \(byteCount) bytes")
        }
        let data: Data
        do {
            data = try Data(contentsOf: file, options: .alwaysMapped)
        } catch {
            throw .externalData(name: t.name, reason: "cannot read \(location): \((error as NSError).localizedDescription)")
        }
        guard offset <= data.count, data.count - offset >= length else {
            throw .externalData(name: t.name, reason: "\(location) has \(data.count) bytes, needs \(length) from offset \(offset)")
        }
        return data.subdata(in: offset..<(offset + length))
    }
}
