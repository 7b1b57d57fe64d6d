import DICOM
import DICOMNetwork
import Foundation
import Synchronization
import NIOCore
import Testing
import TestSupport

/// The listener over real sockets, driven by our own requester: negotiation, C-ECHO, C-STORE, release,
/// rejection, abort and hostile traffic.
@Suite(.onIOThreads) struct ListenerTests {
    /// The protocol's real timers (the listener's defaults: ARTIM 30 s, idle 120 s). This suite's tasks run on
    /// threads of their own (`.onIOThreads`), so nothing else in the test process can hold them back while a
    /// test here waits to send its next PDU (on the cooperative pool a clean-clone run once stalled them for
    /// over 100 s and ARTIM closed the connections). The tests of the timers set their own.
    static func configuration(allow: [String] = [], maxAssociations: Int = 4, maxInstanceBytes: Int = 1 << 20) -> DICOMListener.Configuration {
        DICOMListener.Configuration(
            policy: AssociationPolicy(calledAETitles: ["MEDINFER"], allowList: allow.compactMap(AllowedPeer.init), maxPDULength: 16384),
            maxAssociations: maxAssociations, maxInstanceBytes: maxInstanceBytes)
    }

    static func request(calling: String = "TESTSCU", contexts: [PresentationContextProposal]? = nil, maxPDU: UInt32 = 4096) -> AssociateRequest {
        AssociateRequest(calledAETitle: "MEDINFER", callingAETitle: calling,
                         presentationContexts: contexts ?? [
                             .init(id: 1, abstractSyntax: verificationSOPClass, transferSyntaxes: ["1.2.840.10008.1.2"]),
                             .init(id: 3, abstractSyntax: StorageSOPClasses.ct, transferSyntaxes: ["1.2.840.10008.1.2.1"]),
                         ],
                         userInformation: .init(maxPDULength: maxPDU, implementationClassUID: "1.2.3"))
    }

    @Test func echoStoreAndRelease() async throws {
        let provider = RecordingProvider()
        try await withListener(Self.configuration(), provider: provider) { listener in
            try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { c in
                let ac = try await c.associate(Self.request())
                #expect(ac.presentationContexts.map(\.result) == [0, 0])
                #expect(try await c.echo(contextID: 1) == DIMSEStatus.success)
                let data = (0..<50_000).map { UInt8($0 % 256) }
                let rsp = try await c.store(contextID: 3, sopClass: StorageSOPClasses.ct, sopInstance: "1.2.3.4", dataSet: data)
                #expect(rsp.uint16(DIMSECommand.status) == DIMSEStatus.success)
                #expect(rsp.string(DIMSECommand.affectedSOPInstanceUID) == "1.2.3.4")
                // SOP class of the command not that of the context.
                let mismatch = try await c.store(contextID: 3, sopClass: StorageSOPClasses.mr, sopInstance: "1.2.3.5", dataSet: [0, 0])
                #expect(mismatch.uint16(DIMSECommand.status) == DIMSEStatus.dataSetDoesNotMatchSOPClass)
                try await c.release()
            }
        }
        await provider.wait { $0.kinds.contains("released") }
        let received = provider.instances.withLock { $0 }
        #expect(received.count == 1)
        let intact = received.first?.dataSet == (0..<50_000).map { UInt8($0 % 256) }
        #expect(intact)
        #expect(received.first?.transferSyntaxUID == "1.2.840.10008.1.2.1")
        #expect(provider.kinds == ["open", "released"])
    }

    @Test func callingAETitleNotOnTheAllowListIsRejected() async throws {
        let provider = RecordingProvider()
        try await withListener(Self.configuration(allow: ["GOODSCU@127.0.0.1"]), provider: provider) { listener in
            try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { c in
                await #expect(throws: DICOMClientError.rejected(AssociateReject(result: 1, source: 1, reason: 3))) {
                    try await c.associate(Self.request(calling: "BADSCU"))
                }
            }
            try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { c in
                try await c.associate(Self.request(calling: "GOODSCU"))
                try await c.release()
            }
        }
        await provider.wait { $0.kinds.contains("released") }
        #expect(provider.kinds == ["rejected", "open", "released"])
    }

    @Test func tooManyAssociationsAreRejectedTransiently() async throws {
        let provider = RecordingProvider()
        try await withListener(Self.configuration(maxAssociations: 1), provider: provider) { listener in
            try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { first in
                try await first.associate(Self.request())
                try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { second in
                    await #expect(throws: DICOMClientError.rejected(.localLimitExceeded)) { try await second.associate(Self.request()) }
                }
                try await first.release()
            }
        }
    }

    @Test func connectionFloodIsCappedWhileNegotiating() async throws {
        try await withListener(Self.configuration(maxAssociations: 1), provider: RecordingProvider()) { listener in
            #expect(listener.maxConnections == 4)
            // Four silent connections are held (ARTIM would end them); the fifth is closed at once.
            try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { a in
                try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { b in
                    try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { c in
                        try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { d in
                            try await d.associate(Self.request())
                            for _ in 0..<6000 where listener.openConnections < 4 { try await Task.sleep(for: .milliseconds(10)) }
                            #expect(listener.openConnections == 4)
                            try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { (e: DICOMConnection) async throws in
                                #expect(try await e.receive() == nil)
                            }
                            try await d.release()
                        }
                        _ = c
                    }
                    _ = b
                }
                _ = a
            }
        }
    }

    @Test func abortMidTransferTellsTheSession() async throws {
        let provider = RecordingProvider()
        try await withListener(Self.configuration(), provider: provider) { listener in
            try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { c in
                try await c.associate(Self.request())
                let command = DIMSECommand.storeRequest(messageID: 1, sopClass: StorageSOPClasses.ct, sopInstance: "1.2.3")
                try await c.send(.data([PDV(contextID: 3, isCommand: true, isLast: true, data: command.encoded())]))
                try await c.send(.data([PDV(contextID: 3, isCommand: false, isLast: false, data: [1, 2, 3, 4])]))
                await c.close()
            }
            await provider.wait { $0.kinds.contains("aborted") }
        }
        #expect(provider.kinds == ["open", "aborted"])
        #expect(provider.instances.withLock { $0.isEmpty })
    }

    @Test func malformedPDUIsAnsweredWithAbort() async throws {
        let provider = RecordingProvider()
        try await withListener(Self.configuration(), provider: provider) { listener in
            // Garbage instead of an A-ASSOCIATE-RQ.
            try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { c in
                try await c.sendRaw([0x09, 0, 0, 0, 0, 4, 1, 2, 3, 4])
                #expect(try await c.receive() == .pdu(.abort(.unrecognizedPDU)))
                #expect(try await c.receive() == nil)
            }
            // An oversized P-DATA-TF after association: aborted from its header alone.
            try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { c in
                try await c.associate(Self.request())
                try await c.sendRaw([0x04, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0])
                #expect(try await c.receive() == .pdu(.abort(.invalidPDUParameter)))
            }
            // P-DATA before association; a PDV on a context never proposed.
            try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { c in
                try await c.send(.data([PDV(contextID: 1, isCommand: true, isLast: true, data: [0])]))
                #expect(try await c.receive() == .pdu(.abort(.unexpectedPDU)))
            }
            try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { c in
                try await c.associate(Self.request())
                try await c.send(.data([PDV(contextID: 99, isCommand: true, isLast: true, data: [0])]))
                #expect(try await c.receive() == .pdu(.abort(.invalidPDUParameter)))
            }
            // Still serving.
            #expect(try await DICOMConnection.echo(host: "127.0.0.1", port: listener.port, callingAETitle: "X", calledAETitle: "MEDINFER", timeout: .seconds(300)) == 0)
        }
    }

    @Test func oversizeInstanceAborts() async throws {
        let provider = RecordingProvider()
        try await withListener(Self.configuration(maxInstanceBytes: 10_000), provider: provider) { listener in
            try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { c in
                try await c.associate(Self.request())
                await #expect(throws: DICOMClientError.self) {
                    _ = try await c.store(contextID: 3, sopClass: StorageSOPClasses.ct, sopInstance: "1.2", dataSet: [UInt8](repeating: 0, count: 20_000))
                }
            }
            await provider.wait { $0.kinds.contains("aborted") }
        }
        #expect(provider.kinds == ["open", "aborted"])
    }

    @Test func responsesAreFragmentedToThePeersMaximum() async throws {
        // Our responses are small; a peer maximum of 16 bytes forces the command over several PDUs.
        let provider = RecordingProvider()
        try await withListener(Self.configuration(), provider: provider) { listener in
            try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { c in
                try await c.associate(Self.request(maxPDU: 16))
                try await c.send(DIMSEMessage(contextID: 1, command: .echoRequest(messageID: 9)))
                var pdus = 0
                var assembler = MessageAssembler(maxDataSetBytes: 0)
                var response: DIMSEMessage?
                while response == nil, case .pdu(.data(let pdvs))? = try await c.receive() {
                    pdus += 1
                    #expect(PDUCodec.encode(.data(pdvs)).count - 6 <= 16)
                    for pdv in pdvs { response = try assembler.add(pdv) ?? response }
                }
                #expect(pdus > 3)
                #expect(response?.command.uint16(DIMSECommand.messageIDBeingRespondedTo) == 9)
            }
        }
    }

    @Test func silentPeerIsDroppedAfterARTIM() async throws {
        var configuration = Self.configuration()
        configuration.artimTimeout = .milliseconds(200)
        try await withListener(configuration, provider: RecordingProvider()) { listener in
            try await DICOMConnection.withConnection(host: "127.0.0.1", port: listener.port, timeout: .seconds(300)) { (c: DICOMConnection) async throws in
                // Nothing sent: the listener aborts and closes, long before our own 20 s deadline.
                #expect(try await c.receive() == .pdu(.abort(.providerNotSpecified)))
                #expect(try await c.receive() == nil)
            }
        }
    }
}
