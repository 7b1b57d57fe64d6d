public import NIOCore
import NIOPosix

/// Why a client operation failed.
public enum DICOMClientError: Error, Equatable, Sendable, CustomStringConvertible {
    case rejected(AssociateReject)
    case aborted(Abort)
    case protocolError(String)
    case connectionClosed
    case noAcceptedContext(String)

    public var description: String {
        switch self {
        case .rejected(let r): "association rejected (result \(r.result), source \(r.source), reason \(r.reason))"
        case .aborted(let a): "association aborted by the peer (source \(a.source), reason \(a.reason))"
        case .protocolError(let s): "protocol error: \(s)"
        case .connectionClosed: "the peer closed the connection"
        case .noAcceptedContext(let s): "the peer accepted no presentation context for \(s)"
        }
    }
}

/// A minimal association requester (SCU): enough for `medinfer dicom echo`, and for tests that need
/// to send well-formed, malformed or cut-off traffic. Bytes are written as they are, so a test can send
/// anything; what comes back is framed and decoded like on the server.
public final class DICOMConnection {
    let channel: any Channel
    var inbound: NIOAsyncChannelInboundStream<InboundPDU>.AsyncIterator
    var peerMaxPDULength: UInt32 = 0
    private var nextMessageID: UInt16 = 1

    init(channel: any Channel, inbound: NIOAsyncChannelInboundStream<InboundPDU>.AsyncIterator) {
        self.channel = channel
        self.inbound = inbound
    }

    /// Connects, runs `body`, and closes. The whole exchange is bounded by `timeout`: past it the
    /// connection is closed and pending reads fail with `.connectionClosed`.
    @discardableResult
    public static func withConnection<R>(host: String, port: Int, timeout: TimeAmount = .seconds(30),
                                         limits: PDULimits = .default,
                                         group: (any EventLoopGroup)? = nil,
                                         _ body: (DICOMConnection) async throws -> R) async throws -> R {
        let async = try await ClientBootstrap(group: group ?? MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(PDUFrameDecoder(limits: limits)))
                    return try NIOAsyncChannel<InboundPDU, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let deadline = async.channel.eventLoop.scheduleTask(in: timeout) { [channel = async.channel] in
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        return try await async.executeThenClose { inbound, _ in
            let connection = DICOMConnection(channel: async.channel, inbound: inbound.makeAsyncIterator())
            return try await body(connection)
        }
    }

    /// Writes bytes as they are.
    public func sendRaw(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    public func send(_ pdu: PDU) async throws { try await sendRaw(PDUCodec.encode(pdu)) }

    /// The next PDU from the peer (nil at end of stream).
    public func receive() async throws -> InboundPDU? { try await inbound.next() }

    /// Closes the socket abruptly (no A-RELEASE, no A-ABORT).
    public func close() async { try? await channel.close().get() }

    /// Requests an association; returns the accept, throws `.rejected` or `.aborted`.
    @discardableResult
    public func associate(_ request: AssociateRequest) async throws -> AssociateAccept {
        try await send(.associateRequest(request))
        switch try await receive() {
        case .pdu(.associateAccept(let ac))?:
            peerMaxPDULength = ac.userInformation.maxPDULength ?? 0
            return ac
        case .pdu(.associateReject(let rj))?: throw DICOMClientError.rejected(rj)
        case .pdu(.abort(let a))?: throw DICOMClientError.aborted(a)
        case .pdu(let other)?: throw DICOMClientError.protocolError("unexpected \(other.name) after A-ASSOCIATE-RQ")
        case .invalid(let e)?: throw DICOMClientError.protocolError(e.description)
        case nil: throw DICOMClientError.connectionClosed
        }
    }

    /// Sends a DIMSE message, fragmented to the peer's maximum PDU length.
    public func send(_ message: DIMSEMessage) async throws {
        for pdv in MessageAssembler.fragments(of: message, maxPDULength: peerMaxPDULength) {
            try await send(.data([pdv]))
        }
    }

    /// Reads PDUs until one whole DIMSE message arrived.
    public func receiveMessage(maxDataSetBytes: Int = 1 << 26) async throws -> DIMSEMessage {
        var assembler = MessageAssembler(maxDataSetBytes: maxDataSetBytes)
        while true {
            switch try await receive() {
            case .pdu(.data(let pdvs))?:
                for pdv in pdvs {
                    if let message = try assembler.add(pdv) { return message }
                }
            case .pdu(.abort(let a))?: throw DICOMClientError.aborted(a)
            case .pdu(let other)?: throw DICOMClientError.protocolError("unexpected \(other.name) while waiting for a DIMSE message")
            case .invalid(let e)?: throw DICOMClientError.protocolError(e.description)
            case nil: throw DICOMClientError.connectionClosed
            }
        }
    }

    /// A-RELEASE-RQ, then waits for the A-RELEASE-RP.
    public func release() async throws {
        try await send(.releaseRequest)
        switch try await receive() {
        case .pdu(.releaseResponse)?: return
        case .pdu(.abort(let a))?: throw DICOMClientError.aborted(a)
        case .pdu(let other)?: throw DICOMClientError.protocolError("unexpected \(other.name) after A-RELEASE-RQ")
        case .invalid(let e)?: throw DICOMClientError.protocolError(e.description)
        case nil: throw DICOMClientError.connectionClosed
        }
    }

    func messageID() -> UInt16 {
        defer { nextMessageID &+= 1 }
        return nextMessageID
    }

    /// C-ECHO on an accepted Verification context; returns the status.
    public func echo(contextID: UInt8) async throws -> UInt16 {
        try await send(DIMSEMessage(contextID: contextID, command: .echoRequest(messageID: messageID())))
        let response = try await receiveMessage()
        guard response.command.field == .cEchoRSP, let status = response.command.uint16(DIMSECommand.status) else {
            throw DICOMClientError.protocolError("the answer to C-ECHO-RQ is not a C-ECHO-RSP with a status")
        }
        return status
    }

    /// C-STORE of a data set already encoded in the context's transfer syntax; returns the response command.
    public func store(contextID: UInt8, sopClass: String, sopInstance: String, dataSet: [UInt8]) async throws -> DIMSECommand {
        let command = DIMSECommand.storeRequest(messageID: messageID(), sopClass: sopClass, sopInstance: sopInstance)
        try await send(DIMSEMessage(contextID: contextID, command: command, dataSet: dataSet))
        let response = try await receiveMessage()
        guard response.command.field == .cStoreRSP, response.command.uint16(DIMSECommand.status) != nil else {
            throw DICOMClientError.protocolError("the answer to C-STORE-RQ is not a C-STORE-RSP with a status")
        }
        return response.command
    }
}

extension DICOMConnection {
    /// Associates for Verification only, sends one C-ECHO and releases: `medinfer dicom echo`.
    public static func echo(host: String, port: Int, callingAETitle: String, calledAETitle: String,
                            timeout: TimeAmount = .seconds(30)) async throws -> UInt16 {
        try await withConnection(host: host, port: port, timeout: timeout) { connection in
            let request = AssociateRequest(
                calledAETitle: calledAETitle, callingAETitle: callingAETitle,
                presentationContexts: [.init(id: 1, abstractSyntax: verificationSOPClass,
                                             transferSyntaxes: ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"])],
                userInformation: .init(maxPDULength: 1 << 16, implementationClassUID: "2.25.143659417645831715929993155895319857506",
                                       implementationVersionName: "MEDINFER_0_1"))
            let accept = try await connection.associate(request)
            guard accept.presentationContexts.contains(where: { $0.id == 1 && $0.outcome == .acceptance }) else {
                throw DICOMClientError.noAcceptedContext("Verification")
            }
            let status = try await connection.echo(contextID: 1)
            try await connection.release()
            return status
        }
    }
}
