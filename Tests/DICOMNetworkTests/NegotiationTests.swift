import DICOM
@testable import DICOMNetwork
import Testing

@Suite struct NegotiationTests {
    static let policy = AssociationPolicy(calledAETitles: ["MEDINFER"], allowList: [AllowedPeer("STORESCU@127.0.0.1")!, AllowedPeer("PACS")!])

    static func request(calling: String = "STORESCU", called: String = "MEDINFER", contexts: [PresentationContextProposal]) -> AssociateRequest {
        AssociateRequest(calledAETitle: called, callingAETitle: calling, presentationContexts: contexts, userInformation: .init(maxPDULength: 0))
    }

    static func negotiate(_ rq: AssociateRequest, host: String? = "127.0.0.1") -> NegotiationOutcome {
        policy.negotiate(rq, peerHost: host, implementationClassUID: "1.2", implementationVersionName: "T")
    }

    @Test func contextsAreAnsweredOneByOne() throws {
        let rq = Self.request(contexts: [
            .init(id: 1, abstractSyntax: verificationSOPClass, transferSyntaxes: ["1.2.840.10008.1.2"]),
            .init(id: 3, abstractSyntax: StorageSOPClasses.ct, transferSyntaxes: ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.50"]),
            .init(id: 5, abstractSyntax: StorageSOPClasses.mr, transferSyntaxes: ["1.2.840.10008.1.2.4.80"]),
            .init(id: 7, abstractSyntax: "1.2.840.10008.5.1.4.1.1.88.11", transferSyntaxes: ["1.2.840.10008.1.2"]),
        ])
        guard case let .accept(ac, accepted) = Self.negotiate(rq) else {
            Issue.record("rejected")
            return
        }
        #expect(ac.presentationContexts.map(\.result) == [0, 0, 4, 3])
        #expect(ac.presentationContexts[1].transferSyntax == "1.2.840.10008.1.2.4.50")  // first proposed that we read
        #expect(accepted.keys.sorted() == [1, 3])
        #expect(ac.userInformation.maxPDULength == Self.policy.maxPDULength)
    }

    @Test func aeTitlesAndAddressesAreChecked() throws {
        let pc = [PresentationContextProposal(id: 1, abstractSyntax: verificationSOPClass, transferSyntaxes: ["1.2.840.10008.1.2"])]
        guard case .reject(let rj, _) = Self.negotiate(Self.request(calling: "INTRUDER", contexts: pc)) else {
            Issue.record("accepted")
            return
        }
        #expect(rj == AssociateReject(result: 1, source: 1, reason: 3))
        guard case .reject(let rj2, _) = Self.negotiate(Self.request(called: "OTHER", contexts: pc)) else {
            Issue.record("accepted")
            return
        }
        #expect(rj2 == AssociateReject(result: 1, source: 1, reason: 7))
        // STORESCU only from 127.0.0.1; PACS from anywhere.
        if case .accept = Self.negotiate(Self.request(contexts: pc), host: "10.0.0.9") { Issue.record("wrong host accepted") }
        if case .reject = Self.negotiate(Self.request(calling: "PACS", contexts: pc), host: "10.0.0.9") { Issue.record("PACS rejected") }
    }

    @Test func allowListEntriesParse() throws {
        #expect(AllowedPeer("AE@10.1.2.3") == AllowedPeer(aeTitle: "AE", host: "10.1.2.3"))
        #expect(AllowedPeer("@10.1.2.3") == AllowedPeer(aeTitle: nil, host: "10.1.2.3"))
        #expect(AllowedPeer("AE") == AllowedPeer(aeTitle: "AE", host: nil))
        #expect(AllowedPeer("@") == nil)
        #expect(AllowedPeer("SEVENTEEN_CHARS_X") == nil)
    }
}
