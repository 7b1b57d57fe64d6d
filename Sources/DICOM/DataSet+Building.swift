public import Foundation

/// Setting values in a data set that is being built. The text setters encode UTF-8 and do not check
/// the VR's rules: `DICOMWriter` checks every value when it writes, so a data set edited from any
/// source is checked the same way. The binary setters check ranges, since an out-of-range number
/// cannot be encoded at all.
extension DataSet {
    /// Sets a text element; several values are joined with backslash. An empty array gives an
    /// empty (zero-length) value, as type 2 attributes need.
    /// Setting Specific Character Set (0008,0005) also sets `characterSet`, so that the accessors read
    /// the data set's text as it will be written.
    public mutating func set(_ tag: Tag, _ vr: VR, _ values: [String]) {
        let bytes = Data(values.joined(separator: "\\").utf8)
        self[tag] = DataElement(tag: tag, vr: vr, value: .bytes(bytes), offset: 0)
        if tag == .specificCharacterSet { characterSet = SpecificCharacterSet(value: bytes) }
    }

    /// Sets a single-valued text element (an empty string gives an empty value).
    public mutating func set(_ tag: Tag, _ vr: VR, _ value: String) { set(tag, vr, [value]) }

    /// Sets raw value bytes (OB, UN, or binary values already in little-endian order).
    public mutating func set(_ tag: Tag, _ vr: VR, bytes: Data) {
        self[tag] = DataElement(tag: tag, vr: vr, value: .bytes(bytes), offset: 0)
    }

    /// Sets a sequence (VR SQ); an empty array gives an empty sequence, as type 2 sequences need.
    public mutating func set(_ tag: Tag, items: [DataSet]) {
        self[tag] = DataElement(tag: tag, vr: .SQ, value: .sequence(items), offset: 0)
    }

    /// Sets one UL value (used for lengths, which are unsigned by construction).
    public mutating func set(_ tag: Tag, _ vr: VR, uint32 value: UInt32) {
        set(tag, vr, bytes: Data(withUnsafeBytes(of: value.littleEndian, Array.init)))
    }

    /// Sets integers of a binary VR (US, SS, UL, SL, UV, SV, OW, OL, OV, or AT as group << 16 | element),
    /// little endian. Throws when a value is outside the VR's range.
    public mutating func set(_ tag: Tag, _ vr: VR, integers: [Int]) throws(DICOMWriteError) {
        var out: [UInt8] = []
        for v in integers {
            let (size, inRange): (Int, Bool)
            switch vr {
            case .US, .OW: (size, inRange) = (2, (0...Int(UInt16.max)).contains(v))
            case .SS: (size, inRange) = (2, (Int(Int16.min)...Int(Int16.max)).contains(v))
            case .UL, .OL, .AT: (size, inRange) = (4, (0...Int(UInt32.max)).contains(v))
            case .SL: (size, inRange) = (4, (Int(Int32.min)...Int(Int32.max)).contains(v))
            case .UV, .OV: (size, inRange) = (8, v >= 0)
            case .SV: (size, inRange) = (8, true)
            default:
                throw .vrMismatch(tag: tag, path: "\(tag)", vr: vr, reason: "not an integer VR")
            }
            guard inRange else { throw .invalidValue(tag: tag, path: "\(tag)", vr: vr, reason: "\(v) is out of range") }
            let bits = UInt64(bitPattern: Int64(v))
            if vr == .AT {
                // AT is two 16-bit words, group first, each little endian.
                for word in [UInt16(truncatingIfNeeded: bits >> 16), UInt16(truncatingIfNeeded: bits)] {
                    out += [UInt8(word & 0xFF), UInt8(word >> 8)]
                }
            } else {
                for k in 0..<size { out.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(k)))) }
            }
        }
        set(tag, vr, bytes: Data(out))
    }

    /// Sets floating-point values of FL, FD, OF or OD, little endian. NaN and infinities are allowed
    /// by the VRs and kept; FL/OF values are rounded to Float.
    public mutating func set(_ tag: Tag, _ vr: VR, floats: [Double]) throws(DICOMWriteError) {
        var out: [UInt8] = []
        for v in floats {
            switch vr {
            case .FL, .OF: withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { out += $0 }
            case .FD, .OD: withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 }
            default: throw .vrMismatch(tag: tag, path: "\(tag)", vr: vr, reason: "not a floating-point VR")
            }
        }
        set(tag, vr, bytes: Data(out))
    }

    /// Removes an element (no-op when absent).
    public mutating func remove(_ tag: Tag) { self[tag] = nil }
}
