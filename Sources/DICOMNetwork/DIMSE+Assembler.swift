/// One whole DIMSE message: its command and, when the command says one follows, the data set bytes
/// in the presentation context's transfer syntax.
public struct DIMSEMessage: Sendable, Equatable {
    public var contextID: UInt8
    public var command: DIMSECommand
    public var dataSet: [UInt8]?

    public init(contextID: UInt8, command: DIMSECommand, dataSet: [UInt8]? = nil) {
        self.contextID = contextID
        self.command = command
        self.dataSet = dataSet
    }
}

/// Reassembles PDV fragments into DIMSE messages (PS3.7 Annex F, PS3.8 Annex E): command fragments
/// up to the last, then, if the command announces a data set, data fragments up to the last, all on
/// one presentation context. Anything else is a `DIMSEError`.
public struct MessageAssembler: Sendable {
    /// Largest data set kept in memory for one message.
    public let maxDataSetBytes: Int
    private var contextID: UInt8?
    private var command: [UInt8] = []
    private var parsed: DIMSECommand?
    private var data: [UInt8] = []

    public init(maxDataSetBytes: Int) { self.maxDataSetBytes = maxDataSetBytes }

    /// True while a message is partly received.
    public var isPartial: Bool { contextID != nil }

    /// Adds one fragment; returns the message it completes, if any.
    public mutating func add(_ pdv: PDV) throws(DIMSEError) -> DIMSEMessage? {
        if let id = contextID, id != pdv.contextID {
            throw .protocolViolation("fragment on presentation context \(pdv.contextID) inside a message on context \(id)")
        }
        contextID = pdv.contextID
        if let parsed {
            guard !pdv.isCommand else { throw .protocolViolation("command fragment while the data set was expected") }
            guard data.count + pdv.data.count <= maxDataSetBytes else {
                throw .instanceTooLarge(bytes: data.count + pdv.data.count, limit: maxDataSetBytes)
            }
            data += pdv.data
            guard pdv.isLast else { return nil }
            defer { reset() }
            return DIMSEMessage(contextID: pdv.contextID, command: parsed, dataSet: data)
        }
        guard pdv.isCommand else { throw .protocolViolation("data set fragment before its command") }
        guard command.count + pdv.data.count <= DIMSECommand.maxEncodedLength else {
            throw .malformedCommand("command set exceeds \(DIMSECommand.maxEncodedLength) bytes")
        }
        command += pdv.data
        guard pdv.isLast else { return nil }
        let decoded = try DIMSECommand.decode(command)
        command = []
        guard decoded.hasDataSet else {
            reset()
            return DIMSEMessage(contextID: pdv.contextID, command: decoded)
        }
        parsed = decoded
        return nil
    }

    private mutating func reset() {
        contextID = nil
        command = []
        parsed = nil
        data = []
    }

    /// Splits a message into PDVs of at most `maxPDULength` bytes of P-DATA-TF body each (6 bytes of PDV
    /// header included, PS3.8 9.3.5); 0 means no limit. Command and data set never share a PDV.
    public static func fragments(of message: DIMSEMessage, maxPDULength: UInt32) -> [PDV] {
        // An absurdly small peer limit still makes progress: at least 1 byte per PDV.
        let limit = maxPDULength == 0 ? Int(Int32.max) : max(Int(maxPDULength) - 6, 1)
        func split(_ bytes: [UInt8], isCommand: Bool) -> [PDV] {
            if bytes.isEmpty { return [PDV(contextID: message.contextID, isCommand: isCommand, isLast: true, data: [])] }
            var out: [PDV] = []
            var start = 0
            while start < bytes.count {
                let end = min(start + limit, bytes.count)
                out.append(PDV(contextID: message.contextID, isCommand: isCommand, isLast: end == bytes.count,
                               data: Array(bytes[start..<end])))
                start = end
            }
            return out
        }
        var pdvs = split(message.command.encoded(), isCommand: true)
        if let data = message.dataSet { pdvs += split(data, isCommand: false) }
        return pdvs
    }
}
