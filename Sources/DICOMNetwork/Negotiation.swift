import DICOM

/// Who may associate with us and what we accept: the inputs of presentation-context negotiation.
public struct AssociationPolicy: Sendable {
    /// Called AE titles we answer to; empty = any.
    public var calledAETitles: Set<String>
    /// Calling peers allowed; empty = anyone.
    public var allowList: [AllowedPeer]
    /// Abstract syntaxes (SOP classes) we provide.
    public var abstractSyntaxes: Set<String>
    /// Transfer syntaxes we accept, for any abstract syntax (default: those `Imaging` decodes).
    public var transferSyntaxes: Set<String>
    /// Our Maximum Length Received (P-DATA-TF body), announced in the A-ASSOCIATE-AC.
    public var maxPDULength: UInt32

    public init(calledAETitles: Set<String>, allowList: [AllowedPeer] = [],
                abstractSyntaxes: Set<String> = StorageSOPClasses.all.union([verificationSOPClass]),
                transferSyntaxes: Set<String>? = nil, maxPDULength: UInt32 = 1 << 20) {
        self.calledAETitles = calledAETitles
        self.allowList = allowList
        self.abstractSyntaxes = abstractSyntaxes
        self.transferSyntaxes = transferSyntaxes ?? TransferSyntax.decodable
        self.maxPDULength = maxPDULength
    }
}

/// One allow-list entry: `AE@host`, `AE` (from anywhere) or `@host` (any AE title from that address).
public struct AllowedPeer: Sendable, Equatable, CustomStringConvertible {
    public var aeTitle: String?
    public var host: String?

    public init(aeTitle: String?, host: String?) {
        self.aeTitle = aeTitle
        self.host = host
    }

    /// Parses `AE@host`, `AE` or `@host`; nil when both parts are empty or the AE title is longer
    /// than 16 characters.
    public init?(_ text: String) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let ae = parts[0].trimmingCharacters(in: " ")
        let host = parts.count > 1 ? parts[1].trimmingCharacters(in: " ") : ""
        guard !(ae.isEmpty && host.isEmpty), ae.utf8.count <= 16 else { return nil }
        aeTitle = ae.isEmpty ? nil : ae
        self.host = host.isEmpty ? nil : host
    }

    public func matches(aeTitle calling: String, host peer: String?) -> Bool {
        if let aeTitle, aeTitle != calling { return false }
        if let host, host != peer { return false }
        return true
    }

    public var description: String { "\(aeTitle ?? "")@\(host ?? "*")" }
}

/// The outcome of negotiation: what we answer, and the transfer syntax of each accepted context.
public enum NegotiationOutcome: Sendable, Equatable {
    case accept(AssociateAccept, acceptedContexts: [UInt8: AcceptedContext])
    case reject(AssociateReject, reason: String)
}

/// An accepted presentation context.
public struct AcceptedContext: Sendable, Equatable {
    public var abstractSyntax: String
    public var transferSyntax: String
}

extension AssociationPolicy {
    /// Negotiates `request` from `peerHost` (PS3.8 9.3.3, PS3.7 Annex D.3): AE titles and the
    /// allow-list first, then each presentation context: unknown abstract syntax -> 3, no acceptable
    /// transfer syntax -> 4, otherwise the first proposed transfer syntax we accept (so a compressed file
    /// is taken as it is when we can read it).
    public func negotiate(_ request: AssociateRequest, peerHost: String?,
                          implementationClassUID: String, implementationVersionName: String) -> NegotiationOutcome {
        guard request.protocolVersion & 1 == 1 else {
            return .reject(.protocolVersionNotSupported, reason: "protocol version \(request.protocolVersion) lacks version 1")
        }
        guard request.applicationContext == dicomApplicationContext else {
            return .reject(.applicationContextNotSupported, reason: "application context \(request.applicationContext)")
        }
        guard calledAETitles.isEmpty || calledAETitles.contains(request.calledAETitle) else {
            return .reject(.calledAETitleNotRecognized, reason: "called AE title '\(request.calledAETitle)' is not ours")
        }
        guard allowList.isEmpty || allowList.contains(where: { $0.matches(aeTitle: request.callingAETitle, host: peerHost) }) else {
            return .reject(.callingAETitleNotRecognized,
                           reason: "calling AE title '\(request.callingAETitle)' from \(peerHost ?? "unknown address") is not on the allow-list")
        }
        var results: [PresentationContextResult] = []
        var accepted: [UInt8: AcceptedContext] = [:]
        var seen: Set<UInt8> = []
        for pc in request.presentationContexts {
            // A repeated ID is answered once, for its first proposal.
            guard seen.insert(pc.id).inserted else { continue }
            guard abstractSyntaxes.contains(pc.abstractSyntax) else {
                results.append(.init(id: pc.id, outcome: .abstractSyntaxNotSupported, transferSyntax: ""))
                continue
            }
            guard let ts = pc.transferSyntaxes.first(where: transferSyntaxes.contains) else {
                results.append(.init(id: pc.id, outcome: .transferSyntaxesNotSupported, transferSyntax: ""))
                continue
            }
            results.append(.init(id: pc.id, outcome: .acceptance, transferSyntax: ts))
            accepted[pc.id] = AcceptedContext(abstractSyntax: pc.abstractSyntax, transferSyntax: ts)
        }
        let accept = AssociateAccept(
            calledAETitle: request.calledAETitle, callingAETitle: request.callingAETitle, presentationContexts: results,
            userInformation: UserInformation(maxPDULength: maxPDULength, implementationClassUID: implementationClassUID,
                                             implementationVersionName: implementationVersionName))
        return .accept(accept, acceptedContexts: accepted)
    }
}

/// Storage SOP classes we accept (PS3.4 Annex B.5): the image classes a model might read.
public enum StorageSOPClasses {
    public static let ct = "1.2.840.10008.5.1.4.1.1.2"
    public static let enhancedCT = "1.2.840.10008.5.1.4.1.1.2.1"
    public static let mr = "1.2.840.10008.5.1.4.1.1.4"
    public static let enhancedMR = "1.2.840.10008.5.1.4.1.1.4.1"
    public static let cr = "1.2.840.10008.5.1.4.1.1.1"
    public static let dxPresentation = "1.2.840.10008.5.1.4.1.1.1.1"
    public static let dxProcessing = "1.2.840.10008.5.1.4.1.1.1.1.1"
    public static let mgPresentation = "1.2.840.10008.5.1.4.1.1.1.2"
    public static let mgProcessing = "1.2.840.10008.5.1.4.1.1.1.2.1"
    public static let us = "1.2.840.10008.5.1.4.1.1.6.1"
    public static let usMultiframe = "1.2.840.10008.5.1.4.1.1.3.1"
    public static let secondaryCapture = "1.2.840.10008.5.1.4.1.1.7"
    public static let scMultiframeGrayscaleByte = "1.2.840.10008.5.1.4.1.1.7.2"
    public static let scMultiframeGrayscaleWord = "1.2.840.10008.5.1.4.1.1.7.3"
    public static let scMultiframeTrueColor = "1.2.840.10008.5.1.4.1.1.7.4"

    public static let all: Set<String> = [
        ct, enhancedCT, mr, enhancedMR, cr, dxPresentation, dxProcessing, mgPresentation, mgProcessing, us,
        usMultiframe, secondaryCapture, scMultiframeGrayscaleByte, scMultiframeGrayscaleWord, scMultiframeTrueColor,
    ]
}
