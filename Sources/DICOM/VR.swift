/// Value Representations of PS3.5 Table 6.2-1.
public enum VR: String, Sendable, CaseIterable {
    case AE, AS, AT, CS, DA, DS, DT, FL, FD, IS, LO, LT, OB, OD, OF, OL, OV, OW, PN, SH, SL, SQ, SS, ST, SV, TM, UC,
         UI, UL, UN, UR, US, UT, UV

    /// Explicit VR encoding: these VRs have 2 reserved bytes and a 32-bit length (PS3.5 7.1.2).
    public var hasLongLength: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .SQ, .SV, .UC, .UN, .UR, .UT, .UV: return true
        default: return false
        }
    }

    /// Character-string VRs whose bytes are text.
    public var isText: Bool {
        switch self {
        case .AE, .AS, .CS, .DA, .DS, .DT, .IS, .LO, .LT, .PN, .SH, .ST, .TM, .UC, .UI, .UR, .UT: return true
        default: return false
        }
    }

    /// Text VRs affected by Specific Character Set (the others are always ASCII).
    public var usesSpecificCharacterSet: Bool {
        switch self {
        case .LO, .LT, .PN, .SH, .ST, .UC, .UT: return true
        default: return false
        }
    }

    /// Size in bytes of one binary value, for VRs whose bytes swap with byte order.
    public var binaryWordSize: Int? {
        switch self {
        case .AT, .OW, .SS, .US: return 2
        case .FL, .OF, .OL, .SL, .UL: return 4
        case .FD, .OD, .OV, .SV, .UV: return 8
        default: return nil
        }
    }
}
