@testable import DICOMNetwork
import Testing

/// Encode/decode round trips of every PDU, and a typed error for every malformed shape.
@Suite struct PDUCodecTests {
    static let request = AssociateRequest(
        calledAETitle: "MEDINFER", callingAETitle: "STORESCU",
        presentationContexts: [
            .init(id: 1, abstractSyntax: verificationSOPClass, transferSyntaxes: ["1.2.840.10008.1.2"]),
            .init(id: 3, abstractSyntax: StorageSOPClasses.ct, transferSyntaxes: ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.1"]),
        ],
        userInformation: .init(maxPDULength: 16384, implementationClassUID: "1.2.3.4", implementationVersionName: "TEST_1",
                               otherItems: [.init(type: 0x58, value: [1, 0, 0, 3, 0x41, 0x42, 0x43, 0, 0])]))

    static let accept = AssociateAccept(
        calledAETitle: "MEDINFER", callingAETitle: "STORESCU",
        presentationContexts: [
            .init(id: 1, outcome: .acceptance, transferSyntax: "1.2.840.10008.1.2"),
            .init(id: 3, outcome: .transferSyntaxesNotSupported, transferSyntax: ""),
        ],
        userInformation: .init(maxPDULength: 0, implementationClassUID: "1.2.3.4.5"))

    static let all: [PDU] = [
        .associateRequest(request), .associateAccept(accept),
        .associateReject(.callingAETitleNotRecognized),
        .data([PDV(contextID: 1, isCommand: true, isLast: true, data: [1, 2, 3, 4]),
               PDV(contextID: 3, isCommand: false, isLast: false, data: [])]),
        .releaseRequest, .releaseResponse, .abort(.invalidPDUParameter),
    ]

    @Test(arguments: all) func roundTrip(_ pdu: PDU) throws {
        let bytes = PDUCodec.encode(pdu)
        #expect(bytes[0] == pdu.type)
        #expect(try PDUCodec.frameLength(bytes) == bytes.count)
        #expect(try PDUCodec.decode(bytes) == pdu)
    }

    /// Bytes laid out by hand from PS3.8 Table 9-11 and following, not by our encoder.
    @Test func decodesHandWrittenAssociateRequest() throws {
        func item(_ type: UInt8, _ body: [UInt8]) -> [UInt8] { [type, 0, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body }
        func ae(_ s: String) -> [UInt8] { Array(s.utf8) + [UInt8](repeating: 0x20, count: 16 - s.utf8.count) }
        var body: [UInt8] = [0, 1, 0, 0] + ae("ANY-SCP") + ae("ECHOSCU") + [UInt8](repeating: 0, count: 32)
        body += item(0x10, Array("1.2.840.10008.3.1.1.1".utf8))
        body += item(0x20, [1, 0, 0, 0] + item(0x30, Array("1.2.840.10008.1.1".utf8)) + item(0x40, Array("1.2.840.10008.1.2\0".utf8)))
        body += item(0x50, item(0x51, [0, 0, 0x40, 0]) + item(0x52, Array("1.2.276.0.7230010.3.0.3.6.7".utf8)) + item(0x55, Array("OFFIS_DCMTK_367".utf8)))
        let pdu: [UInt8] = [1, 0, 0, 0, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        guard case .associateRequest(let rq) = try PDUCodec.decode(pdu) else {
            Issue.record("not an A-ASSOCIATE-RQ")
            return
        }
        #expect(rq.calledAETitle == "ANY-SCP")
        #expect(rq.callingAETitle == "ECHOSCU")
        #expect(rq.presentationContexts == [.init(id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"])])
        #expect(rq.userInformation.maxPDULength == 16384)
        #expect(rq.userInformation.implementationVersionName == "OFFIS_DCMTK_367")
    }

    @Test func truncationAtEveryLengthIsTyped() throws {
        for pdu in Self.all {
            let bytes = PDUCodec.encode(pdu)
            for cut in 0..<bytes.count {
                #expect(throws: PDUError.self) { try PDUCodec.decode(Array(bytes[0..<cut])) }
            }
        }
    }

    @Test func trailingBytesAreRejected() throws {
        let bytes = PDUCodec.encode(.releaseRequest) + [0]
        #expect(throws: PDUError.self) { try PDUCodec.decode(bytes) }
    }

    @Test func unknownTypeIsRejectedFromTheHeader() throws {
        #expect(throws: PDUError.unknownPDUType(0x09)) { try PDUCodec.frameLength([9, 0, 0, 0, 0, 4]) }
        #expect(throws: PDUError.unknownPDUType(0x00)) { try PDUCodec.decode([0, 0, 0, 0, 0, 0]) }
    }

    @Test func oversizeLengthIsRejectedBeforeBuffering() throws {
        let limits = PDULimits(maxDataLength: 1000)
        #expect(throws: PDUError.lengthTooLarge(pdu: "P-DATA-TF", length: 0xFFFF_FFFF, limit: 1000)) {
            try PDUCodec.frameLength([4, 0, 0xFF, 0xFF, 0xFF, 0xFF], limits: limits)
        }
        #expect(throws: PDUError.self) { try PDUCodec.frameLength([1, 0, 0, 0x10, 0, 1], limits: limits) }
        #expect(throws: PDUError.wrongLength(pdu: "A-ABORT", length: 5, expected: 4)) { try PDUCodec.frameLength([7, 0, 0, 0, 0, 5]) }
        #expect(try PDUCodec.frameLength([4, 0, 0, 0]) == nil)
    }

    @Test func wrongItemTypesAreRejected() throws {
        var rq = PDUCodec.encode(.associateRequest(Self.request))
        // The first item after the 68 fixed bytes is the application context (0x10); make it 0x11.
        #expect(rq[6 + 68] == 0x10)
        rq[6 + 68] = 0x11
        #expect(throws: PDUError.unexpectedItem(context: "A-ASSOCIATE-RQ", type: 0x11)) { try PDUCodec.decode(rq) }
        // A presentation context result item (0x21) inside a request.
        var rq2 = PDUCodec.encode(.associateRequest(Self.request))
        let pcOffset = 6 + 68 + 4 + "1.2.840.10008.3.1.1.1".utf8.count
        #expect(rq2[pcOffset] == 0x20)
        rq2[pcOffset] = 0x21
        #expect(throws: PDUError.unexpectedItem(context: "A-ASSOCIATE-RQ", type: 0x21)) { try PDUCodec.decode(rq2) }
    }

    @Test func missingItemsAreRejected() throws {
        var rq = Self.request
        rq.presentationContexts = []
        #expect(throws: PDUError.missingItem(context: "A-ASSOCIATE-RQ", item: "presentation context item (0x20)")) {
            try PDUCodec.decode(PDUCodec.encode(.associateRequest(rq)))
        }
        var rq2 = Self.request
        rq2.presentationContexts[0].transferSyntaxes = []
        #expect(throws: PDUError.self) { try PDUCodec.decode(PDUCodec.encode(.associateRequest(rq2))) }
    }

    @Test func invalidFieldsAreRejected() throws {
        var even = Self.request
        even.presentationContexts[0].id = 2
        #expect(throws: PDUError.invalidField(context: "presentation context 2", reason: "the ID must be odd")) {
            try PDUCodec.decode(PDUCodec.encode(.associateRequest(even)))
        }
        var badUID = Self.request
        badUID.presentationContexts[0].abstractSyntax = "1.2.x"
        #expect(throws: PDUError.self) { try PDUCodec.decode(PDUCodec.encode(.associateRequest(badUID))) }
        var badAE = Self.request
        badAE.callingAETitle = "A\u{7}B"
        #expect(throws: PDUError.self) { try PDUCodec.decode(PDUCodec.encode(.associateRequest(badAE))) }
        // PDV shorter than its two header bytes; PDV longer than the PDU; reserved control bits.
        #expect(throws: PDUError.self) { try PDUCodec.decode([4, 0, 0, 0, 0, 5, 0, 0, 0, 1, 1]) }
        #expect(throws: PDUError.self) { try PDUCodec.decode([4, 0, 0, 0, 0, 6, 0, 0, 0, 9, 1, 3]) }
        #expect(throws: PDUError.self) { try PDUCodec.decode([4, 0, 0, 0, 0, 6, 0, 0, 0, 2, 1, 0x80]) }
        // An empty P-DATA-TF.
        #expect(throws: PDUError.missingItem(context: "P-DATA-TF", item: "presentation data value item")) {
            try PDUCodec.decode([4, 0, 0, 0, 0, 0])
        }
    }

    @Test func tooManyPresentationContextsAreRejected() throws {
        var rq = Self.request
        rq.presentationContexts = (0..<5).map { .init(id: UInt8(2 * $0 + 1), abstractSyntax: "1.2", transferSyntaxes: ["1.2"]) }
        let limits = PDULimits(maxPresentationContexts: 4)
        #expect(throws: PDUError.self) { try PDUCodec.decode(PDUCodec.encode(.associateRequest(rq)), limits: limits) }
    }

    @Test func everyErrorMapsToAnAbortReason() throws {
        #expect(PDUError.unknownPDUType(9).abortReason == .unrecognizedPDU)
        #expect(PDUError.truncated(context: "x", needed: 1, available: 0).abortReason == .invalidPDUParameter)
        #expect(!PDUError.truncated(context: "PDU body", needed: 4, available: 2).description.isEmpty)
    }
}
