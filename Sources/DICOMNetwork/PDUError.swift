/// Why bytes from a peer are not a valid PDU. Every case says where, so a log line names the fault.
public enum PDUError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than a field or item needs.
    case truncated(context: String, needed: Int, available: Int)
    /// A PDU-type byte PS3.8 does not define.
    case unknownPDUType(UInt8)
    /// The PDU's length field passes the negotiated or built-in limit.
    case lengthTooLarge(pdu: String, length: UInt32, limit: UInt32)
    /// A PDU whose length must be fixed (A-RELEASE, A-ABORT, A-ASSOCIATE-RJ) has another.
    case wrongLength(pdu: String, length: UInt32, expected: UInt32)
    /// An item of another type than the position allows.
    case unexpectedItem(context: String, type: UInt8)
    /// A required item is missing.
    case missingItem(context: String, item: String)
    /// A field's value is not allowed (bad characters in an AE title, an empty UID, a PDV shorter than
    /// its header, ...).
    case invalidField(context: String, reason: String)

    public var description: String {
        switch self {
        case let .truncated(context, needed, available):
            "\(context): truncated, needs \(needed) bytes, \(available) left"
        case let .unknownPDUType(type):
            "unknown PDU type 0x\(String(type, radix: 16))"
        case let .lengthTooLarge(pdu, length, limit):
            "\(pdu): length \(length) exceeds the limit \(limit)"
        case let .wrongLength(pdu, length, expected):
            "\(pdu): length \(length), expected \(expected)"
        case let .unexpectedItem(context, type):
            "\(context): unexpected item type 0x\(String(type, radix: 16))"
        case let .missingItem(context, item):
            "\(context): missing \(item)"
        case let .invalidField(context, reason):
            "\(context): \(reason)"
        }
    }

    /// The A-ABORT reason (PS3.8 Table 9-26) that answers this fault.
    public var abortReason: Abort {
        switch self {
        case .unknownPDUType: .unrecognizedPDU
        case .unexpectedItem: .unrecognizedPDUParameter
        default: .invalidPDUParameter
        }
    }
}
