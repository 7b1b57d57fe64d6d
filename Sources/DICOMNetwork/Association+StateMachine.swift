import DICOM
import Foundation
import Logging
import NIOCore

/// The acceptor side of one association (PS3.8 9.2, states Sta2 -> Sta6 -> Sta13, simplified to what
/// an SCP-only node needs): negotiation, reassembly and dispatch of DIMSE messages, release and abort.
/// Any protocol fault is answered with an A-ABORT and ends the connection; the storage session is then
/// told it was aborted, so nothing half-received survives.
struct AssociationMachine {
    enum State { case awaitingRequest, established, ended }

    let configuration: DICOMListener.Configuration
    let provider: any StorageServiceProvider
    var logger: Logger
    let peerHost: String?
    let listener: DICOMListener
    var state = State.awaitingRequest
    var info: AssociationInfo?
    var session: (any StorageSession)?
    var sessionClosed = false
    var hasSlot = false
    var peerMaxPDULength: UInt32 = 0
    var assembler: MessageAssembler

    init(configuration: DICOMListener.Configuration, provider: any StorageServiceProvider, logger: Logger, peerHost: String?,
         listener: DICOMListener) {
        self.configuration = configuration
        self.provider = provider
        self.logger = logger
        self.peerHost = peerHost
        self.listener = listener
        assembler = MessageAssembler(maxDataSetBytes: configuration.maxInstanceBytes)
        self.logger[metadataKey: "peer"] = "\(peerHost ?? "?")"
    }

    /// Reads PDUs until the association ends one way or another.
    mutating func run(inbound: NIOAsyncChannelInboundStream<InboundPDU>, channel: any Channel) async throws {
        for try await event in inbound {
            switch event {
            case .invalid(let error):
                try await abort(error.abortReason, "malformed PDU: \(error)", channel)
                return
            case .pdu(let pdu):
                guard try await handle(pdu, channel) else { return }
            }
        }
        // The peer closed the connection (or a timeout closed it): `finish` tells the session.
    }

    /// Handles one PDU; false when the connection must close.
    mutating func handle(_ pdu: PDU, _ channel: any Channel) async throws -> Bool {
        switch (state, pdu) {
        case (.awaitingRequest, .associateRequest(let request)):
            return try await associate(request, channel)
        case (.established, .data(let pdvs)):
            for pdv in pdvs {
                guard info?.acceptedContexts[pdv.contextID] != nil else {
                    try await abort(.invalidPDUParameter, "PDV on presentation context \(pdv.contextID), which was not accepted", channel)
                    return false
                }
                let message: DIMSEMessage?
                do { message = try assembler.add(pdv) } catch {
                    try await abort(.providerNotSpecified, error.description, channel)
                    return false
                }
                if let message { guard try await dispatch(message, channel) else { return false } }
            }
            return true
        case (.established, .releaseRequest):
            guard !assembler.isPartial else {
                try await abort(.unexpectedPDU, "A-RELEASE-RQ in the middle of a DIMSE message", channel)
                return false
            }
            sessionClosed = true
            await session?.released()
            state = .ended
            try await channel.writeAndFlush(PDU.releaseResponse).get()
            logger.info("DICOM association released")
            return false
        case (_, .abort(let a)):
            state = .ended
            await closeSession(aborted: "peer sent A-ABORT (source \(a.source), reason \(a.reason))")
            return false
        default:
            try await abort(.unexpectedPDU, "unexpected \(pdu.name) in state \(state)", channel)
            return false
        }
    }

    mutating func associate(_ request: AssociateRequest, _ channel: any Channel) async throws -> Bool {
        logger[metadataKey: "calling"] = "\(request.callingAETitle)"
        logger[metadataKey: "called"] = "\(request.calledAETitle)"
        var outcome = configuration.policy.negotiate(request, peerHost: peerHost, implementationClassUID: DICOMWriter.implementationClassUID,
                                                    implementationVersionName: DICOMWriter.implementationVersionName)
        if case .accept = outcome, !listener.reserveSlot() {
            outcome = .reject(.localLimitExceeded, reason: "\(configuration.maxAssociations) associations already in progress")
        }
        switch outcome {
        case let .reject(reject, reason):
            state = .ended
            logger.notice("DICOM association rejected: \(reason)")
            await provider.rejected(request, peerHost: peerHost, reject: reject, reason: reason)
            try await channel.writeAndFlush(PDU.associateReject(reject)).get()
            return false
        case let .accept(accept, contexts):
            hasSlot = true
            peerMaxPDULength = request.userInformation.maxPDULength ?? 0
            let info = AssociationInfo(id: UUID().uuidString.lowercased(), callingAETitle: request.callingAETitle,
                                       calledAETitle: request.calledAETitle, peerHost: peerHost,
                                       implementationClassUID: request.userInformation.implementationClassUID,
                                       implementationVersionName: request.userInformation.implementationVersionName,
                                       acceptedContexts: contexts)
            self.info = info
            logger[metadataKey: "association"] = "\(info.id)"
            session = await provider.open(info)
            state = .established
            try await channel.writeAndFlush(PDU.associateAccept(accept)).get()
            logger.info("DICOM association accepted", metadata: ["contexts": "\(contexts.count)/\(request.presentationContexts.count)"])
            return true
        }
    }

    /// Runs one DIMSE request and sends its response; false when the connection must close.
    mutating func dispatch(_ message: DIMSEMessage, _ channel: any Channel) async throws -> Bool {
        let command = message.command
        guard let context = info?.acceptedContexts[message.contextID] else { return false }
        let response: DIMSECommand
        switch command.field {
        case .cEchoRQ:
            response = .echoResponse(to: command)
        case .cStoreRQ:
            let sopClass = command.string(DIMSECommand.affectedSOPClassUID) ?? ""
            let sopInstance = command.string(DIMSECommand.affectedSOPInstanceUID) ?? ""
            if sopClass != context.abstractSyntax {
                response = .storeResponse(to: command, status: DIMSEStatus.dataSetDoesNotMatchSOPClass,
                                          comment: "SOP class \(sopClass) on a context for \(context.abstractSyntax)")
            } else if sopInstance.isEmpty {
                response = .storeResponse(to: command, status: DIMSEStatus.cannotUnderstand, comment: "no Affected SOP Instance UID")
            } else {
                let instance = ReceivedInstance(sopClassUID: sopClass, sopInstanceUID: sopInstance,
                                                transferSyntaxUID: context.transferSyntax, dataSet: message.dataSet ?? [])
                let outcome = await session?.store(instance) ?? StoreOutcome(status: DIMSEStatus.outOfResources)
                if outcome.status != DIMSEStatus.success {
                    logger.notice("C-STORE of \(sopInstance) failed: 0x\(String(outcome.status, radix: 16)) \(outcome.comment ?? "")")
                }
                response = .storeResponse(to: command, status: outcome.status, comment: outcome.comment)
            }
        default:
            guard let field = command.uint16(DIMSECommand.commandField), field & 0x8000 == 0 else {
                try await abort(.providerNotSpecified, "unexpected DIMSE response from the peer", channel)
                return false
            }
            // PS3.7 C.5.4: unrecognized operation.
            var r = DIMSECommand()
            r.set(DIMSECommand.affectedSOPClassUID, uid: command.string(DIMSECommand.affectedSOPClassUID) ?? "")
            r.set(DIMSECommand.commandField, uint16: field | 0x8000)
            r.set(DIMSECommand.messageIDBeingRespondedTo, uint16: command.uint16(DIMSECommand.messageID) ?? 0)
            r.set(DIMSECommand.commandDataSetType, uint16: DIMSECommand.noDataSet)
            r.set(DIMSECommand.status, uint16: 0x0211)
            response = r
        }
        try await Self.send(DIMSEMessage(contextID: message.contextID, command: response), maxPDULength: peerMaxPDULength, channel)
        return true
    }

    /// Sends a message as P-DATA-TF PDUs that respect the peer's maximum length: one PDV per PDU.
    static func send(_ message: DIMSEMessage, maxPDULength: UInt32, _ channel: any Channel) async throws {
        let pdvs = MessageAssembler.fragments(of: message, maxPDULength: maxPDULength)
        for pdv in pdvs.dropLast() { channel.write(PDU.data([pdv]), promise: nil) }
        if let last = pdvs.last { try await channel.writeAndFlush(PDU.data([last])).get() }
    }

    mutating func abort(_ abort: Abort, _ reason: String, _ channel: any Channel) async throws {
        logger.notice("DICOM association aborted: \(reason)")
        state = .ended
        await closeSession(aborted: reason)
        try await channel.writeAndFlush(PDU.abort(abort)).get()
    }

    mutating func closeSession(aborted reason: String) async {
        guard !sessionClosed else { return }
        sessionClosed = true
        await session?.aborted(reason: reason)
    }

    /// After the connection closed: a session that was neither released nor aborted is aborted now,
    /// and the association slot is given back.
    mutating func finish() async {
        if session != nil, !sessionClosed {
            logger.notice("DICOM connection closed without A-RELEASE")
            await closeSession(aborted: "connection closed without A-RELEASE")
        }
        if hasSlot {
            hasSlot = false
            listener.releaseSlot()
        }
    }
}
