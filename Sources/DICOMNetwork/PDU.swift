/// Protocol data units of the DICOM Upper Layer (PS3.8 Section 9.3), as values.
///
/// `PDUCodec` turns them into bytes and back; nothing here touches a socket.
public enum PDU: Equatable, Sendable {
    case associateRequest(AssociateRequest)
    case associateAccept(AssociateAccept)
    case associateReject(AssociateReject)
    case data([PDV])
    case releaseRequest
    case releaseResponse
    case abort(Abort)

    /// The PDU-type byte (PS3.8 Table 9-1 and following).
    public var type: UInt8 {
        switch self {
        case .associateRequest: 0x01
        case .associateAccept: 0x02
        case .associateReject: 0x03
        case .data: 0x04
        case .releaseRequest: 0x05
        case .releaseResponse: 0x06
        case .abort: 0x07
        }
    }

    /// A short name for logs and errors.
    public var name: String {
        switch self {
        case .associateRequest: "A-ASSOCIATE-RQ"
        case .associateAccept: "A-ASSOCIATE-AC"
        case .associateReject: "A-ASSOCIATE-RJ"
        case .data: "P-DATA-TF"
        case .releaseRequest: "A-RELEASE-RQ"
        case .releaseResponse: "A-RELEASE-RP"
        case .abort: "A-ABORT"
        }
    }
}

/// The DICOM Application Context Name (PS3.7 Annex A.2.1): the only one defined.
public let dicomApplicationContext = "1.2.840.10008.3.1.1.1"

/// One proposed presentation context (PS3.8 9.3.2.2): an abstract syntax and the transfer syntaxes
/// the requester can use for it.
public struct PresentationContextProposal: Equatable, Sendable {
    /// Odd, 1...255.
    public var id: UInt8
    public var abstractSyntax: String
    public var transferSyntaxes: [String]

    public init(id: UInt8, abstractSyntax: String, transferSyntaxes: [String]) {
        self.id = id
        self.abstractSyntax = abstractSyntax
        self.transferSyntaxes = transferSyntaxes
    }
}

/// The acceptor's answer for one presentation context (PS3.8 9.3.3.2, Table 9-18).
public struct PresentationContextResult: Equatable, Sendable {
    public enum Outcome: UInt8, Sendable {
        case acceptance = 0
        case userRejection = 1
        case noReason = 2
        case abstractSyntaxNotSupported = 3
        case transferSyntaxesNotSupported = 4
    }

    public var id: UInt8
    /// Raw result byte; `outcome` is nil for values PS3.8 does not define.
    public var result: UInt8
    /// The accepted transfer syntax (ignored by the requester unless the result is acceptance).
    public var transferSyntax: String

    public var outcome: Outcome? { Outcome(rawValue: result) }

    public init(id: UInt8, outcome: Outcome, transferSyntax: String) {
        self.id = id
        result = outcome.rawValue
        self.transferSyntax = transferSyntax
    }

    public init(id: UInt8, result: UInt8, transferSyntax: String) {
        self.id = id
        self.result = result
        self.transferSyntax = transferSyntax
    }
}

/// User Information item (PS3.8 9.3.2.3, PS3.7 Annex D.3.3). Sub-items we do not interpret are kept
/// as they came so a round trip is lossless.
public struct UserInformation: Equatable, Sendable {
    /// Maximum length of the P-DATA-TF variable field the sender can receive; 0 = no limit.
    public var maxPDULength: UInt32?
    public var implementationClassUID: String?
    public var implementationVersionName: String?
    /// Other sub-items (asynchronous operations window, role selection, extended negotiation, user
    /// identity...), as (type, value).
    public var otherItems: [RawItem]

    public struct RawItem: Equatable, Sendable {
        public var type: UInt8
        public var value: [UInt8]
        public init(type: UInt8, value: [UInt8]) {
            self.type = type
            self.value = value
        }
    }

    public init(maxPDULength: UInt32? = nil, implementationClassUID: String? = nil,
                implementationVersionName: String? = nil, otherItems: [RawItem] = []) {
        self.maxPDULength = maxPDULength
        self.implementationClassUID = implementationClassUID
        self.implementationVersionName = implementationVersionName
        self.otherItems = otherItems
    }
}

/// A-ASSOCIATE-RQ (PS3.8 9.3.2).
public struct AssociateRequest: Equatable, Sendable {
    public var protocolVersion: UInt16
    public var calledAETitle: String
    public var callingAETitle: String
    public var applicationContext: String
    public var presentationContexts: [PresentationContextProposal]
    public var userInformation: UserInformation

    public init(protocolVersion: UInt16 = 1, calledAETitle: String, callingAETitle: String,
                applicationContext: String = dicomApplicationContext,
                presentationContexts: [PresentationContextProposal], userInformation: UserInformation) {
        self.protocolVersion = protocolVersion
        self.calledAETitle = calledAETitle
        self.callingAETitle = callingAETitle
        self.applicationContext = applicationContext
        self.presentationContexts = presentationContexts
        self.userInformation = userInformation
    }
}

/// A-ASSOCIATE-AC (PS3.8 9.3.3). The AE title fields are reserved but conventionally echo the request.
public struct AssociateAccept: Equatable, Sendable {
    public var protocolVersion: UInt16
    public var calledAETitle: String
    public var callingAETitle: String
    public var applicationContext: String
    public var presentationContexts: [PresentationContextResult]
    public var userInformation: UserInformation

    public init(protocolVersion: UInt16 = 1, calledAETitle: String, callingAETitle: String,
                applicationContext: String = dicomApplicationContext,
                presentationContexts: [PresentationContextResult], userInformation: UserInformation) {
        self.protocolVersion = protocolVersion
        self.calledAETitle = calledAETitle
        self.callingAETitle = callingAETitle
        self.applicationContext = applicationContext
        self.presentationContexts = presentationContexts
        self.userInformation = userInformation
    }
}

/// A-ASSOCIATE-RJ (PS3.8 9.3.4, Table 9-21).
public struct AssociateReject: Equatable, Sendable {
    /// 1 rejected-permanent, 2 rejected-transient.
    public var result: UInt8
    /// 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation).
    public var source: UInt8
    /// Meaning depends on the source (Table 9-21).
    public var reason: UInt8

    public init(result: UInt8, source: UInt8, reason: UInt8) {
        self.result = result
        self.source = source
        self.reason = reason
    }

    /// Service-user, permanent: no reason given.
    public static let noReasonGiven = AssociateReject(result: 1, source: 1, reason: 1)
    /// Service-user, permanent: application context name not supported.
    public static let applicationContextNotSupported = AssociateReject(result: 1, source: 1, reason: 2)
    /// Service-user, permanent: calling AE title not recognized.
    public static let callingAETitleNotRecognized = AssociateReject(result: 1, source: 1, reason: 3)
    /// Service-user, permanent: called AE title not recognized.
    public static let calledAETitleNotRecognized = AssociateReject(result: 1, source: 1, reason: 7)
    /// Service-provider (ACSE), permanent: protocol version not supported.
    public static let protocolVersionNotSupported = AssociateReject(result: 1, source: 2, reason: 2)
    /// Service-provider (presentation), transient: local limit exceeded (too many associations).
    public static let localLimitExceeded = AssociateReject(result: 2, source: 3, reason: 2)
    /// Service-provider (presentation), transient: temporary congestion.
    public static let temporaryCongestion = AssociateReject(result: 2, source: 3, reason: 1)
}

/// One presentation data value (PS3.8 9.3.5.1, Annex E.2).
public struct PDV: Equatable, Sendable {
    public var contextID: UInt8
    /// Bit 0 of the message control header: the fragment belongs to a command (else a data set).
    public var isCommand: Bool
    /// Bit 1: the last fragment of its command or data set.
    public var isLast: Bool
    public var data: [UInt8]

    public init(contextID: UInt8, isCommand: Bool, isLast: Bool, data: [UInt8]) {
        self.contextID = contextID
        self.isCommand = isCommand
        self.isLast = isLast
        self.data = data
    }
}

/// A-ABORT (PS3.8 9.3.8, Table 9-26).
public struct Abort: Equatable, Sendable {
    /// 0 service-user, 2 service-provider.
    public var source: UInt8
    /// For the service-provider: 0 not specified, 1 unrecognized PDU, 2 unexpected PDU,
    /// 4 unrecognized PDU parameter, 5 unexpected PDU parameter, 6 invalid PDU parameter value.
    public var reason: UInt8

    public init(source: UInt8, reason: UInt8) {
        self.source = source
        self.reason = reason
    }

    public static let userInitiated = Abort(source: 0, reason: 0)
    public static let providerNotSpecified = Abort(source: 2, reason: 0)
    public static let unrecognizedPDU = Abort(source: 2, reason: 1)
    public static let unexpectedPDU = Abort(source: 2, reason: 2)
    public static let unrecognizedPDUParameter = Abort(source: 2, reason: 4)
    public static let invalidPDUParameter = Abort(source: 2, reason: 6)
}
