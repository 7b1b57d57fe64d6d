public import Foundation

/// Errors reading a NumPy `.npy` file; each says what was wrong and where.
public enum NPYError: Error, Sendable, Equatable, CustomStringConvertible {
    case notNPY(reason: String)
    case truncated(needed: Int, available: Int)
    case badHeader(reason: String)
    case unsupportedDType(String)
    case fortranOrder
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .notNPY(let r): return "not a .npy file: \(r)"
        case let .truncated(n, a): return ".npy data truncated: needs \(n) bytes, has \(a)"
        case .badHeader(let r): return ".npy header: \(r)"
        case .unsupportedDType(let d): return ".npy dtype '\(d)' is not supported"
        case .fortranOrder: return ".npy in Fortran order is not supported"
        case let .io(p, r): return "\(p): \(r)"
        }
    }
}

/// NumPy `.npy` format (versions 1.0, 2.0, 3.0) read and write; C order only.
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    /// The numpy `descr` string for a dtype, little-endian. Types numpy lacks are written as their nearest
    /// numpy type: the 4- and 2-bit integers (held one per byte) as int8/uint8, bfloat16 and the 8- and
    /// 4-bit floats widened, exactly, to float32 (see `encode`).
    public static func descr(_ dtype: DType) -> String {
        switch dtype {
        case .float32, .bfloat16, .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz, .float8e8m0, .float4e2m1:
            return "<f4"
        case .float16: return "<f2"
        case .float64: return "<f8"
        case .int8, .int4, .int2: return "|i1"
        case .uint8, .uint4, .uint2: return "|u1"
        case .bool: return "|b1"
        case .int16: return "<i2"
        case .uint16: return "<u2"
        case .int32: return "<i4"
        case .uint32: return "<u4"
        case .int64: return "<i8"
        case .uint64: return "<u8"
        }
    }

    /// Encodes a tensor as a version 1.0 `.npy` file.
    public static func encode(_ original: Tensor) -> Data {
        // The shape is the original's, valid, so widening cannot fail.
        let tensor = descr(original.dtype) == "<f4" && original.dtype != .float32
            ? (try? Tensor(shape: original.shape, values: original.floats())) ?? original : original
        let dims = tensor.shape.map(String.init)
        let shapeText = dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr(tensor.dtype))', 'fortran_order': False, 'shape': \(shapeText), }"
        // Total of magic(6) + version(2) + length(2) + header + '\n' is a multiple of 64 (numpy's alignment).
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data(magic)
        out.append(contentsOf: [1, 0])
        let len = UInt16(header.utf8.count)
        out.append(contentsOf: [UInt8(len & 0xFF), UInt8(len >> 8)])
        out.append(contentsOf: Array(header.utf8))
        tensor.withUnsafeBytes { out.append(contentsOf: $0) }
        return out
    }

    /// Writes `tensor` to `url` atomically.
    public static func write(_ tensor: Tensor, to url: URL) throws(NPYError) {
        do {
            try encode(tensor).write(to: url, options: .atomic)
        } catch {
            throw .io(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Reads a `.npy` file.
    public static func read(from url: URL) throws(NPYError) -> Tensor {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .io(path: url.path, reason: error.localizedDescription)
        }
        return try decode(data)
    }

    /// Decodes `.npy` bytes.
    public static func decode(_ data: Data) throws(NPYError) -> Tensor {
        let bytes = [UInt8](data)
        guard bytes.count >= 10 else { throw .truncated(needed: 10, available: bytes.count) }
        guard Array(bytes[0..<6]) == magic else { throw .notNPY(reason: "missing \\x93NUMPY magic") }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw .truncated(needed: 12, available: bytes.count) }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw .notNPY(reason: "unknown format version \(major)")
        }
        guard headerStart + headerLength <= bytes.count else {
            throw .truncated(needed: headerStart + headerLength, available: bytes.count)
        }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        let (descr, fortran, shape) = try parseHeader(header)
        if fortran { throw .fortranOrder }
        let (dtype, bigEndian) = try dtypeFor(descr)
        let tensor: Tensor
        do {
            tensor = try Tensor(zeros: dtype, shape: shape)
        } catch {
            throw .badHeader(reason: error.description)
        }
        let start = headerStart + headerLength
        let needed = tensor.byteCount
        guard bytes.count - start >= needed else { throw .truncated(needed: start + needed, available: bytes.count) }
        var t = tensor
        t.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start..<(start + needed)]))
            }
            if bigEndian && dtype.byteSize > 1 {
                let w = dtype.byteSize
                for i in stride(from: 0, to: needed, by: w) {
                    for k in 0..<(w / 2) { dst.swapAt(i + k, i + w - 1 - k) }
                }
            }
        }
        return t
    }

    static func dtypeFor(_ descr: String) throws(NPYError) -> (DType, Bool) {
        guard descr.count >= 2, let order = descr.first else { throw .unsupportedDType(descr) }
        let kind = String(descr.dropFirst())
        let big = order == ">"
        let table: [String: DType] = [
            "f2": .float16, "f4": .float32, "f8": .float64, "i1": .int8, "u1": .uint8, "b1": .bool, "i2": .int16,
            "u2": .uint16, "i4": .int32, "u4": .uint32, "i8": .int64, "u8": .uint64,
        ]
        guard "<>|=".contains(order), let dt = table[kind] else { throw .unsupportedDType(descr) }
        return (dt, big)
    }

    /// Parses numpy's Python-literal header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
    static func parseHeader(_ h: String) throws(NPYError) -> (String, Bool, [Int]) {
        func value(after key: String) -> Substring? {
            guard let r = h.range(of: "'\(key)'") ?? h.range(of: "\"\(key)\"") else { return nil }
            var rest = h[r.upperBound...].drop(while: { $0 == " " })
            guard rest.first == ":" else { return nil }
            rest = rest.dropFirst().drop(while: { $0 == " " })
            return rest
        }
        guard let d = value(after: "descr"), let q = d.first, q == "'" || q == "\"" else {
            throw .badHeader(reason: "no 'descr'")
        }
        let dBody = d.dropFirst()
        guard let dEnd = dBody.firstIndex(of: q) else { throw .badHeader(reason: "unterminated 'descr'") }
        let descr = String(dBody[..<dEnd])
        guard let f = value(after: "fortran_order") else { throw .badHeader(reason: "no 'fortran_order'") }
        let fortran = f.hasPrefix("True")
        guard let s = value(after: "shape"), s.first == "(", let close = s.firstIndex(of: ")") else {
            throw .badHeader(reason: "no 'shape'")
        }
        var shape: [Int] = []
        for part in s[s.index(after: s.startIndex)..<close].split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            guard let v = Int(t.hasSuffix("L") ? String(t.dropLast()) : t), v >= 0 else {
                throw .badHeader(reason: "bad dimension '\(t)'")
            }
            shape.append(v)
        }
        return (descr, fortran, shape)
    }
}
