/// Limits applied to what a peer sends before any byte of a PDU body is looked at.
public struct PDULimits: Sendable, Equatable {
    /// Largest P-DATA-TF length field accepted: what we announce as our Maximum Length Received.
    public var maxDataLength: UInt32
    /// Largest A-ASSOCIATE-RQ/AC length field (contexts and user information never need more).
    public var maxAssociateLength: UInt32
    /// Most presentation contexts in one association request (IDs are odd 1...255, so at most 128).
    public var maxPresentationContexts: Int
    /// Most transfer syntaxes proposed for one presentation context.
    public var maxTransferSyntaxes: Int

    public init(maxDataLength: UInt32 = 1 << 20, maxAssociateLength: UInt32 = 1 << 16,
                maxPresentationContexts: Int = 128, maxTransferSyntaxes: Int = 64) {
        self.maxDataLength = maxDataLength
        self.maxAssociateLength = maxAssociateLength
        self.maxPresentationContexts = maxPresentationContexts
        self.maxTransferSyntaxes = maxTransferSyntaxes
    }

    public static let `default` = PDULimits()
}

/// Pure functions between `PDU` values and bytes (PS3.8 9.3). Input is treated as hostile: every
/// read is bounds-checked, lengths are checked against `PDULimits` before allocation, and every fault
/// is a typed `PDUError`.
public enum PDUCodec {
    /// Bytes of the PDU header: type, reserved, 32-bit length.
    public static let headerLength = 6

    /// Reads a PDU header and checks its type and length against `limits`. Returns the total PDU size
    /// (header included), or nil when fewer than 6 bytes are available. Lets a framer reject an
    /// oversized PDU without buffering it.
    public static func frameLength(_ header: some Collection<UInt8>, limits: PDULimits = .default) throws(PDUError) -> Int? {
        guard header.count >= headerLength else { return nil }
        let b = Array(header.prefix(headerLength))
        let type = b[0]
        let length = UInt32(b[2]) << 24 | UInt32(b[3]) << 16 | UInt32(b[4]) << 8 | UInt32(b[5])
        try checkLength(type: type, length: length, limits: limits)
        return headerLength + Int(length)
    }

    static func checkLength(type: UInt8, length: UInt32, limits: PDULimits) throws(PDUError) {
        switch type {
        case 0x01, 0x02:
            let name = type == 1 ? "A-ASSOCIATE-RQ" : "A-ASSOCIATE-AC"
            guard length <= limits.maxAssociateLength else {
                throw .lengthTooLarge(pdu: name, length: length, limit: limits.maxAssociateLength)
            }
        case 0x04:
            guard length <= limits.maxDataLength else {
                throw .lengthTooLarge(pdu: "P-DATA-TF", length: length, limit: limits.maxDataLength)
            }
        case 0x03, 0x05, 0x06, 0x07:
            let names: [UInt8: String] = [3: "A-ASSOCIATE-RJ", 5: "A-RELEASE-RQ", 6: "A-RELEASE-RP", 7: "A-ABORT"]
            guard length == 4 else { throw .wrongLength(pdu: names[type]!, length: length, expected: 4) }
        default:
            throw .unknownPDUType(type)
        }
    }

    // MARK: decoding

    /// Decodes exactly one PDU; `bytes` must hold the header and the whole body and nothing more.
    public static func decode(_ bytes: [UInt8], limits: PDULimits = .default) throws(PDUError) -> PDU {
        var r = ByteReader(bytes)
        let type = try r.u8("PDU header")
        try r.skip(1, "PDU header")
        let length = try r.u32("PDU header")
        try checkLength(type: type, length: length, limits: limits)
        guard r.remaining == Int(length) else {
            if r.remaining < Int(length) {
                throw .truncated(context: "PDU body", needed: Int(length), available: r.remaining)
            }
            throw .invalidField(context: "PDU body", reason: "\(r.remaining - Int(length)) bytes after the PDU")
        }
        switch type {
        case 0x01:
            return .associateRequest(try decodeAssociateRequest(&r, limits: limits))
        case 0x02:
            return .associateAccept(try decodeAssociateAccept(&r, limits: limits))
        case 0x03:
            try r.skip(1, "A-ASSOCIATE-RJ")
            let result = try r.u8("A-ASSOCIATE-RJ"), source = try r.u8("A-ASSOCIATE-RJ"), reason = try r.u8("A-ASSOCIATE-RJ")
            return .associateReject(AssociateReject(result: result, source: source, reason: reason))
        case 0x04:
            return .data(try decodePDVs(&r))
        case 0x05:
            return .releaseRequest
        case 0x06:
            return .releaseResponse
        default:  // 0x07, checked by checkLength
            try r.skip(2, "A-ABORT")
            let source = try r.u8("A-ABORT"), reason = try r.u8("A-ABORT")
            return .abort(Abort(source: source, reason: reason))
        }
    }

    struct AssociateFixed {
        var version: UInt16
        var called: String
        var calling: String
    }

    static func decodeFixed(_ r: inout ByteReader, _ pdu: String) throws(PDUError) -> AssociateFixed {
        let version = try r.u16(pdu)
        try r.skip(2, pdu)
        let called = try aeTitle(r.take(16, pdu), "\(pdu) called AE title")
        let calling = try aeTitle(r.take(16, pdu), "\(pdu) calling AE title")
        try r.skip(32, pdu)
        return AssociateFixed(version: version, called: called, calling: calling)
    }

    /// The variable items of an A-ASSOCIATE-RQ or -AC: one application context (0x10), presentation context
    /// items of `contextType` (0x20 proposals, 0x21 results; at most `limits.maxPresentationContexts`), one
    /// user information item (0x50), nothing else.
    struct AssociateItems<Context> {
        var fixed: AssociateFixed
        var applicationContext: String
        var contexts: [Context]
        var user: UserInformation
    }

    static func decodeAssociate<Context>(_ r: inout ByteReader, _ ctx: String, contextType: UInt8, limits: PDULimits,
                                         _ decodeContext: (ByteReader) throws(PDUError) -> Context) throws(PDUError) -> AssociateItems<Context> {
        let fixed = try decodeFixed(&r, ctx)
        var appContext: String?
        var contexts: [Context] = []
        var user: UserInformation?
        while !r.isAtEnd {
            let (type, body) = try item(&r, ctx)
            switch type {
            case 0x10:
                guard appContext == nil else { throw .invalidField(context: ctx, reason: "two application context items") }
                appContext = try uid(body, "\(ctx) application context")
            case contextType:
                guard contexts.count < limits.maxPresentationContexts else {
                    throw .invalidField(context: ctx, reason: "more than \(limits.maxPresentationContexts) presentation contexts")
                }
                contexts.append(try decodeContext(body))
            case 0x50:
                guard user == nil else { throw .invalidField(context: ctx, reason: "two user information items") }
                user = try decodeUserInformation(body)
            default:
                throw .unexpectedItem(context: ctx, type: type)
            }
        }
        guard let appContext else { throw .missingItem(context: ctx, item: "application context item (0x10)") }
        guard let user else { throw .missingItem(context: ctx, item: "user information item (0x50)") }
        return AssociateItems(fixed: fixed, applicationContext: appContext, contexts: contexts, user: user)
    }

    static func decodeAssociateRequest(_ r: inout ByteReader, limits: PDULimits) throws(PDUError) -> AssociateRequest {
        let ctx = "A-ASSOCIATE-RQ"
        let items = try decodeAssociate(&r, ctx, contextType: 0x20, limits: limits) { (body) throws(PDUError) in
            try decodeProposal(body, limits: limits)
        }
        // An association must propose something; an acceptor may accept nothing.
        guard !items.contexts.isEmpty else { throw .missingItem(context: ctx, item: "presentation context item (0x20)") }
        return AssociateRequest(protocolVersion: items.fixed.version, calledAETitle: items.fixed.called,
                                callingAETitle: items.fixed.calling, applicationContext: items.applicationContext,
                                presentationContexts: items.contexts, userInformation: items.user)
    }

    static func decodeAssociateAccept(_ r: inout ByteReader, limits: PDULimits) throws(PDUError) -> AssociateAccept {
        let items = try decodeAssociate(&r, "A-ASSOCIATE-AC", contextType: 0x21, limits: limits) { (body) throws(PDUError) in
            try decodeResult(body)
        }
        return AssociateAccept(protocolVersion: items.fixed.version, calledAETitle: items.fixed.called,
                               callingAETitle: items.fixed.calling, applicationContext: items.applicationContext,
                               presentationContexts: items.contexts, userInformation: items.user)
    }

    /// An item: type, reserved, 16-bit length, body (PS3.8 9.3.2.1 and following).
    static func item(_ r: inout ByteReader, _ context: String) throws(PDUError) -> (UInt8, ByteReader) {
        let type = try r.u8("\(context) item header")
        try r.skip(1, "\(context) item header")
        let length = try r.u16("\(context) item header")
        return (type, try r.sub(Int(length), "\(context) item 0x\(String(type, radix: 16))"))
    }

    static func decodeProposal(_ body: ByteReader, limits: PDULimits) throws(PDUError) -> PresentationContextProposal {
        var r = body
        let ctx = "presentation context item"
        let id = try r.u8(ctx)
        try r.skip(3, ctx)
        let pc = "presentation context \(id)"
        guard id % 2 == 1 else { throw .invalidField(context: pc, reason: "the ID must be odd") }
        var abstract: String?
        var transfers: [String] = []
        while !r.isAtEnd {
            let (type, sub) = try item(&r, pc)
            switch type {
            case 0x30:
                guard abstract == nil else { throw .invalidField(context: pc, reason: "two abstract syntax sub-items") }
                abstract = try uid(sub, "\(pc) abstract syntax")
            case 0x40:
                guard transfers.count < limits.maxTransferSyntaxes else {
                    throw .invalidField(context: pc, reason: "more than \(limits.maxTransferSyntaxes) transfer syntaxes")
                }
                transfers.append(try uid(sub, "\(pc) transfer syntax"))
            default:
                throw .unexpectedItem(context: pc, type: type)
            }
        }
        guard let abstract else { throw .missingItem(context: pc, item: "abstract syntax sub-item (0x30)") }
        guard !transfers.isEmpty else { throw .missingItem(context: pc, item: "transfer syntax sub-item (0x40)") }
        return PresentationContextProposal(id: id, abstractSyntax: abstract, transferSyntaxes: transfers)
    }

    static func decodeResult(_ body: ByteReader) throws(PDUError) -> PresentationContextResult {
        var r = body
        let ctx = "presentation context result item"
        let id = try r.u8(ctx)
        try r.skip(1, ctx)
        let result = try r.u8(ctx)
        try r.skip(1, ctx)
        let pc = "presentation context \(id)"
        var transfer: String?
        while !r.isAtEnd {
            let (type, sub) = try item(&r, pc)
            guard type == 0x40 else { throw .unexpectedItem(context: pc, type: type) }
            guard transfer == nil else { throw .invalidField(context: pc, reason: "two transfer syntax sub-items") }
            // The value is not significant unless accepted (PS3.8 9.3.3.2), so it may be empty then.
            transfer = result == 0 ? try uid(sub, "\(pc) transfer syntax") : (try? uid(sub, "\(pc) transfer syntax")) ?? ""
        }
        guard let transfer else { throw .missingItem(context: pc, item: "transfer syntax sub-item (0x40)") }
        return PresentationContextResult(id: id, result: result, transferSyntax: transfer)
    }

    static func decodeUserInformation(_ body: ByteReader) throws(PDUError) -> UserInformation {
        var r = body
        let ctx = "user information"
        var info = UserInformation()
        while !r.isAtEnd {
            let (type, sub) = try item(&r, ctx)
            var s = sub
            switch type {
            case 0x51:
                guard s.remaining == 4 else {
                    throw .invalidField(context: "maximum length sub-item", reason: "length \(s.remaining), expected 4")
                }
                info.maxPDULength = try s.u32("maximum length sub-item")
            case 0x52:
                info.implementationClassUID = try uid(sub, "implementation class UID")
            case 0x55:
                let raw = try s.take(s.remaining, "implementation version name")
                guard raw.count <= 16 else {
                    throw .invalidField(context: "implementation version name", reason: "\(raw.count) bytes, at most 16")
                }
                info.implementationVersionName = try text(raw, "implementation version name")
            default:
                info.otherItems.append(.init(type: type, value: try s.take(s.remaining, "user information sub-item")))
            }
        }
        return info
    }

    static func decodePDVs(_ r: inout ByteReader) throws(PDUError) -> [PDV] {
        var pdvs: [PDV] = []
        while !r.isAtEnd {
            let length = try r.u32("PDV item")
            guard length >= 2 else { throw .invalidField(context: "PDV item", reason: "length \(length) is shorter than its header") }
            guard Int(length) <= r.remaining else {
                throw .truncated(context: "PDV item", needed: Int(length), available: r.remaining)
            }
            let id = try r.u8("PDV item")
            guard id % 2 == 1 else { throw .invalidField(context: "PDV item", reason: "presentation context ID \(id) is even") }
            let header = try r.u8("PDV item")
            guard header & 0xFC == 0 else {
                throw .invalidField(context: "PDV item", reason: "message control header 0x\(String(header, radix: 16)) has reserved bits set")
            }
            let data = try r.take(Int(length) - 2, "PDV item")
            pdvs.append(PDV(contextID: id, isCommand: header & 1 != 0, isLast: header & 2 != 0, data: data))
        }
        guard !pdvs.isEmpty else { throw .missingItem(context: "P-DATA-TF", item: "presentation data value item") }
        return pdvs
    }

    /// A UID (PS3.5 9.1): digits and dots, at most 64 characters; a trailing NUL or space pad is removed.
    static func uid(_ body: ByteReader, _ context: String) throws(PDUError) -> String {
        var r = body
        var raw = try r.take(r.remaining, context)
        while let last = raw.last, last == 0 || last == 0x20 { raw.removeLast() }
        guard !raw.isEmpty else { throw .invalidField(context: context, reason: "empty UID") }
        guard raw.count <= 64 else { throw .invalidField(context: context, reason: "UID of \(raw.count) characters, at most 64") }
        guard raw.allSatisfy({ $0 == 0x2E || (0x30...0x39).contains($0) }) else {
            throw .invalidField(context: context, reason: "UID has characters other than digits and dots")
        }
        return String(decoding: raw, as: UTF8.self)
    }

    /// An AE title (PS3.5 6.2): 16 bytes of printable ASCII without backslash, space padded; leading and
    /// trailing spaces are not significant.
    static func aeTitle(_ raw: [UInt8], _ context: String) throws(PDUError) -> String {
        let value = try text(raw.map { $0 == 0 ? 0x20 : $0 }, context)
        guard !value.contains("\\") else { throw .invalidField(context: context, reason: "AE title contains a backslash") }
        return value
    }

    static func text(_ raw: [UInt8], _ context: String) throws(PDUError) -> String {
        guard raw.allSatisfy({ (0x20...0x7E).contains($0) || $0 == 0 }) else {
            throw .invalidField(context: context, reason: "characters outside printable ASCII")
        }
        return String(decoding: raw.filter { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: " ")
    }

    // MARK: encoding

    /// The bytes of `pdu`, header included.
    public static func encode(_ pdu: PDU) -> [UInt8] {
        var body = ByteWriter()
        switch pdu {
        case .associateRequest(let rq):
            fixed(&body, rq.protocolVersion, rq.calledAETitle, rq.callingAETitle)
            item(&body, 0x10, Array(rq.applicationContext.utf8))
            for pc in rq.presentationContexts {
                var sub = ByteWriter()
                sub.u8(pc.id)
                sub.zeros(3)
                item(&sub, 0x30, Array(pc.abstractSyntax.utf8))
                for ts in pc.transferSyntaxes { item(&sub, 0x40, Array(ts.utf8)) }
                item(&body, 0x20, sub.bytes)
            }
            item(&body, 0x50, userInformation(rq.userInformation))
        case .associateAccept(let ac):
            fixed(&body, ac.protocolVersion, ac.calledAETitle, ac.callingAETitle)
            item(&body, 0x10, Array(ac.applicationContext.utf8))
            for pc in ac.presentationContexts {
                var sub = ByteWriter()
                sub.u8(pc.id)
                sub.u8(0)
                sub.u8(pc.result)
                sub.u8(0)
                item(&sub, 0x40, Array(pc.transferSyntax.utf8))
                item(&body, 0x21, sub.bytes)
            }
            item(&body, 0x50, userInformation(ac.userInformation))
        case .associateReject(let rj):
            body.bytes = [0, rj.result, rj.source, rj.reason]
        case .data(let pdvs):
            for pdv in pdvs {
                body.u32(UInt32(pdv.data.count + 2))
                body.u8(pdv.contextID)
                body.u8((pdv.isCommand ? 1 : 0) | (pdv.isLast ? 2 : 0))
                body.bytes += pdv.data
            }
        case .releaseRequest, .releaseResponse:
            body.zeros(4)
        case .abort(let a):
            body.bytes = [0, 0, a.source, a.reason]
        }
        var out = ByteWriter()
        out.u8(pdu.type)
        out.u8(0)
        out.u32(UInt32(body.bytes.count))
        out.bytes += body.bytes
        return out.bytes
    }

    static func fixed(_ w: inout ByteWriter, _ version: UInt16, _ called: String, _ calling: String) {
        w.u16(version)
        w.zeros(2)
        w.bytes += padded(called)
        w.bytes += padded(calling)
        w.zeros(32)
    }

    /// An AE title in its 16-byte space-padded field (longer titles are cut: the caller validates).
    static func padded(_ ae: String) -> [UInt8] {
        let raw = Array(ae.utf8.prefix(16))
        return raw + [UInt8](repeating: 0x20, count: 16 - raw.count)
    }

    static func item(_ w: inout ByteWriter, _ type: UInt8, _ body: [UInt8]) {
        w.u8(type)
        w.u8(0)
        w.u16(UInt16(clamping: body.count))
        w.bytes += body.prefix(Int(UInt16.max))
    }

    static func userInformation(_ info: UserInformation) -> [UInt8] {
        var w = ByteWriter()
        if let max = info.maxPDULength {
            var v = ByteWriter()
            v.u32(max)
            item(&w, 0x51, v.bytes)
        }
        if let uid = info.implementationClassUID { item(&w, 0x52, Array(uid.utf8)) }
        for other in info.otherItems { item(&w, other.type, other.value) }
        if let name = info.implementationVersionName { item(&w, 0x55, Array(name.utf8.prefix(16))) }
        return w.bytes
    }
}

extension String {
    func trimmingCharacters(in character: Character) -> String {
        var s = Substring(self)
        while s.first == character { s.removeFirst() }
        while s.last == character { s.removeLast() }
        return String(s)
    }
}
