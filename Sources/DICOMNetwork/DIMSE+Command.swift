/// A DIMSE command set (PS3.7 Section 6.3, Annex E): group 0000 elements, always Implicit VR Little
/// Endian whatever the presentation context's transfer syntax, led by the group length (0000,0000).
public struct DIMSECommand: Equatable, Sendable {
    /// Element number -> raw little-endian value (already padded to even length).
    public private(set) var elements: [UInt16: [UInt8]] = [:]

    public init() {}

    /// Command Field values (PS3.7 E.1).
    public enum Field: UInt16, Sendable {
        case cStoreRQ = 0x0001
        case cStoreRSP = 0x8001
        case cEchoRQ = 0x0030
        case cEchoRSP = 0x8030
    }

    /// (0000,0800) value meaning "no data set follows".
    public static let noDataSet: UInt16 = 0x0101

    // Element numbers (PS3.7 E.1).
    public static let affectedSOPClassUID: UInt16 = 0x0002
    public static let commandField: UInt16 = 0x0100
    public static let messageID: UInt16 = 0x0110
    public static let messageIDBeingRespondedTo: UInt16 = 0x0120
    public static let priority: UInt16 = 0x0700
    public static let commandDataSetType: UInt16 = 0x0800
    public static let status: UInt16 = 0x0900
    public static let errorComment: UInt16 = 0x0902
    public static let affectedSOPInstanceUID: UInt16 = 0x1000
    public static let moveOriginatorAETitle: UInt16 = 0x1030

    // MARK: typed access

    public func uint16(_ element: UInt16) -> UInt16? {
        guard let v = elements[element], v.count == 2 else { return nil }
        return UInt16(v[0]) | UInt16(v[1]) << 8
    }

    public func string(_ element: UInt16) -> String? {
        guard let v = elements[element] else { return nil }
        let s = String(decoding: v.filter { $0 != 0 }, as: UTF8.self)
        return s.trimmingCharacters(in: " ")
    }

    public mutating func set(_ element: UInt16, uint16 value: UInt16) {
        elements[element] = [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    /// A UI value is padded with NUL, any other text with a space (PS3.5 6.2).
    public mutating func set(_ element: UInt16, uid value: String) {
        var v = Array(value.utf8)
        if v.count % 2 == 1 { v.append(0) }
        elements[element] = v
    }

    public mutating func set(_ element: UInt16, text value: String) {
        var v = Array(value.utf8)
        if v.count % 2 == 1 { v.append(0x20) }
        elements[element] = v
    }

    public var field: Field? { uint16(Self.commandField).flatMap(Field.init(rawValue:)) }
    public var hasDataSet: Bool { uint16(Self.commandDataSetType).map { $0 != Self.noDataSet } ?? false }

    // MARK: bytes

    /// Largest command set accepted from a peer: real ones are a few hundred bytes.
    public static let maxEncodedLength = 1 << 16

    /// Implicit VR LE bytes, group length first (PS3.7 6.3.1 requires it).
    public func encoded() -> [UInt8] {
        var body: [UInt8] = []
        for (element, value) in elements.sorted(by: { $0.key < $1.key }) where element != 0 {
            Self.append(&body, element, value)
        }
        var out: [UInt8] = []
        let length = UInt32(body.count)
        Self.append(&out, 0x0000, [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24)])
        return out + body
    }

    static func append(_ out: inout [UInt8], _ element: UInt16, _ value: [UInt8]) {
        let n = UInt32(value.count)
        out += [0, 0, UInt8(element & 0xFF), UInt8(element >> 8),
                UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
        out += value
    }

    /// Parses a command set from a peer. Only group 0000 is allowed; undefined lengths, duplicates and
    /// values past the end are `DIMSEError.malformedCommand`.
    public static func decode(_ bytes: [UInt8]) throws(DIMSEError) -> DIMSECommand {
        guard bytes.count <= maxEncodedLength else {
            throw .malformedCommand("command set of \(bytes.count) bytes exceeds \(maxEncodedLength)")
        }
        var command = DIMSECommand()
        var i = 0
        while i < bytes.count {
            guard bytes.count - i >= 8 else { throw .malformedCommand("element header truncated at offset \(i)") }
            let group = UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8
            let element = UInt16(bytes[i + 2]) | UInt16(bytes[i + 3]) << 8
            let length = UInt32(bytes[i + 4]) | UInt32(bytes[i + 5]) << 8 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 24
            i += 8
            guard group == 0 else {
                throw .malformedCommand("element (\(hex(group)),\(hex(element))) is outside group 0000")
            }
            guard length <= UInt32(bytes.count - i) else {
                throw .malformedCommand("element (0000,\(hex(element))) length \(length) runs past the end")
            }
            guard command.elements[element] == nil else {
                throw .malformedCommand("element (0000,\(hex(element))) appears twice")
            }
            // The group length is recomputed when encoding, so it is not kept.
            if element != 0 { command.elements[element] = Array(bytes[i..<i + Int(length)]) }
            i += Int(length)
        }
        guard command.uint16(commandField) != nil else { throw .malformedCommand("no Command Field (0000,0100)") }
        return command
    }

    static func hex(_ v: UInt16) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - s.count) + s
    }
}

extension DIMSECommand {
    /// C-ECHO-RQ (PS3.7 9.3.5.1).
    public static func echoRequest(messageID: UInt16) -> DIMSECommand {
        var c = DIMSECommand()
        c.set(affectedSOPClassUID, uid: verificationSOPClass)
        c.set(commandField, uint16: Field.cEchoRQ.rawValue)
        c.set(Self.messageID, uint16: messageID)
        c.set(commandDataSetType, uint16: noDataSet)
        return c
    }

    /// C-ECHO-RSP answering `request`.
    public static func echoResponse(to request: DIMSECommand, status: UInt16 = DIMSEStatus.success) -> DIMSECommand {
        var c = DIMSECommand()
        c.set(affectedSOPClassUID, uid: request.string(affectedSOPClassUID) ?? verificationSOPClass)
        c.set(commandField, uint16: Field.cEchoRSP.rawValue)
        c.set(messageIDBeingRespondedTo, uint16: request.uint16(messageID) ?? 0)
        c.set(commandDataSetType, uint16: noDataSet)
        c.set(Self.status, uint16: status)
        return c
    }

    /// C-STORE-RQ (PS3.7 9.3.1.1).
    public static func storeRequest(messageID: UInt16, sopClass: String, sopInstance: String, priority: UInt16 = 0) -> DIMSECommand {
        var c = DIMSECommand()
        c.set(affectedSOPClassUID, uid: sopClass)
        c.set(commandField, uint16: Field.cStoreRQ.rawValue)
        c.set(Self.messageID, uint16: messageID)
        c.set(Self.priority, uint16: priority)
        c.set(commandDataSetType, uint16: 0x0000)
        c.set(affectedSOPInstanceUID, uid: sopInstance)
        return c
    }

    /// C-STORE-RSP answering `request`; `comment` goes to Error Comment (LO, cut to 64 characters).
    public static func storeResponse(to request: DIMSECommand, status: UInt16, comment: String? = nil) -> DIMSECommand {
        var c = DIMSECommand()
        c.set(affectedSOPClassUID, uid: request.string(affectedSOPClassUID) ?? "")
        c.set(commandField, uint16: Field.cStoreRSP.rawValue)
        c.set(messageIDBeingRespondedTo, uint16: request.uint16(messageID) ?? 0)
        c.set(commandDataSetType, uint16: noDataSet)
        c.set(Self.status, uint16: status)
        c.set(affectedSOPInstanceUID, uid: request.string(affectedSOPInstanceUID) ?? "")
        if let comment, status != DIMSEStatus.success {
            let safe = String(comment.unicodeScalars.filter { $0.isASCII && $0.value >= 0x20 && $0 != "\\" }.map(Character.init))
            c.set(errorComment, text: String(safe.prefix(64)))
        }
        return c
    }
}

/// The Verification SOP Class (PS3.4 A.4).
public let verificationSOPClass = "1.2.840.10008.1.1"

/// DIMSE status codes used here (PS3.4 Annex B.2, PS3.7 Annex C).
public enum DIMSEStatus {
    public static let success: UInt16 = 0x0000
    /// Refused: out of resources.
    public static let outOfResources: UInt16 = 0xA700
    /// Error: data set does not match SOP class.
    public static let dataSetDoesNotMatchSOPClass: UInt16 = 0xA900
    /// Error: cannot understand.
    public static let cannotUnderstand: UInt16 = 0xC000
    /// Refused: SOP class not supported.
    public static let sopClassNotSupported: UInt16 = 0x0122
}

/// A fault in the DIMSE layer: the peer's message cannot be acted on. Answered with an A-ABORT.
public enum DIMSEError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedCommand(String)
    /// A PDV on a presentation context that was not accepted, or fragments out of order.
    case protocolViolation(String)
    /// The data set passes the configured instance size.
    case instanceTooLarge(bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .malformedCommand(let s): "malformed DIMSE command: \(s)"
        case .protocolViolation(let s): "DIMSE protocol violation: \(s)"
        case let .instanceTooLarge(bytes, limit): "instance of more than \(bytes) bytes exceeds the limit of \(limit)"
        }
    }
}
