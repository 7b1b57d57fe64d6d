/// Who we are talking to, once an association is accepted.
public struct AssociationInfo: Sendable {
    /// Unique per association (logs, audit, spool folder names).
    public var id: String
    public var callingAETitle: String
    public var calledAETitle: String
    public var peerHost: String?
    public var implementationClassUID: String?
    public var implementationVersionName: String?
    public var acceptedContexts: [UInt8: AcceptedContext]
}

/// One instance received by C-STORE: the data set bytes as they came, in `transferSyntaxUID`.
public struct ReceivedInstance: Sendable {
    /// (0000,0002) of the command.
    public var sopClassUID: String
    /// (0000,1000) of the command.
    public var sopInstanceUID: String
    public var transferSyntaxUID: String
    public var dataSet: [UInt8]
}

/// The answer to one C-STORE: a status (PS3.4 B.2.3) and, for failures, an error comment.
public struct StoreOutcome: Sendable, Equatable {
    public var status: UInt16
    public var comment: String?

    public init(status: UInt16, comment: String? = nil) {
        self.status = status
        self.comment = comment
    }

    public static let success = StoreOutcome(status: DIMSEStatus.success)
}

/// The Storage and Verification service-class user of the network layer: what happens to received
/// instances is up to the implementation (the server writes them durably and queues a job).
public protocol StorageServiceProvider: Sendable {
    /// Called once an association is accepted; the session receives its instances.
    func open(_ association: AssociationInfo) async -> any StorageSession
    /// An association request was rejected (for logs, metrics and the audit trail).
    func rejected(_ request: AssociateRequest, peerHost: String?, reject: AssociateReject, reason: String) async
}

extension StorageServiceProvider {
    public func rejected(_ request: AssociateRequest, peerHost: String?, reject: AssociateReject, reason: String) async {}
}

/// The instances of one association. Calls come one at a time, in order.
public protocol StorageSession: Sendable {
    /// Must make the instance durable before returning `.success`: the peer may delete its copy.
    func store(_ instance: ReceivedInstance) async -> StoreOutcome
    /// The peer released the association normally.
    func released() async
    /// The association ended without a release (A-ABORT from either side, timeout, dropped
    /// connection, protocol error): nothing of it may be left half-done.
    func aborted(reason: String) async
}
