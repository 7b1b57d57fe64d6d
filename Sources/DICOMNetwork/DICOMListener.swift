public import Logging
public import NIOCore
import NIOPosix
import Synchronization

/// A DICOM Upper Layer acceptor on SwiftNIO: accepts associations per `AssociationPolicy`, answers
/// C-ECHO, and hands C-STORE instances to a `StorageServiceProvider`.
public final class DICOMListener: Sendable {
    public struct Configuration: Sendable {
        public var policy: AssociationPolicy
        /// ARTIM timeout (PS3.8 9.1.5): time allowed for the A-ASSOCIATE-RQ after connecting.
        public var artimTimeout: TimeAmount
        /// An association on which nothing is read or written for this long is aborted.
        public var idleTimeout: TimeAmount
        /// Associations served at once; more are rejected (transient, local limit exceeded).
        public var maxAssociations: Int
        /// Largest data set accepted for one instance; a larger one aborts the association. The data set
        /// is reassembled in memory, so the worst case is `maxAssociations * maxInstanceBytes`.
        public var maxInstanceBytes: Int
        public var limits: PDULimits {
            PDULimits(maxDataLength: policy.maxPDULength)
        }

        public init(policy: AssociationPolicy, artimTimeout: TimeAmount = .seconds(30), idleTimeout: TimeAmount = .seconds(120),
                    maxAssociations: Int = 16, maxInstanceBytes: Int = 256 << 20) {
            self.policy = policy
            self.artimTimeout = artimTimeout
            self.idleTimeout = idleTimeout
            self.maxAssociations = maxAssociations
            self.maxInstanceBytes = maxInstanceBytes
        }
    }

    public let configuration: Configuration
    let provider: any StorageServiceProvider
    let logger: Logger
    let serverChannel: NIOAsyncChannel<NIOAsyncChannel<InboundPDU, PDU>, Never>
    let active = Mutex(0)
    /// Open connections, associated or not.
    let connections = Mutex(0)

    /// Connections kept open at once (associated or still negotiating): beyond this a new connection is
    /// closed at once, so a flood of idle sockets cannot exhaust file descriptors while ARTIM runs.
    public var maxConnections: Int { configuration.maxAssociations * 4 }

    /// The bound port (useful when binding port 0).
    public var port: Int { serverChannel.channel.localAddress?.port ?? 0 }

    private init(configuration: Configuration, provider: any StorageServiceProvider, logger: Logger,
                 serverChannel: NIOAsyncChannel<NIOAsyncChannel<InboundPDU, PDU>, Never>) {
        self.configuration = configuration
        self.provider = provider
        self.logger = logger
        self.serverChannel = serverChannel
    }

    /// Binds the listening socket; call `run()` to serve.
    public static func bind(host: String, port: Int, configuration: Configuration, provider: any StorageServiceProvider,
                            logger: Logger = Logger(label: "medinfer.dicom"),
                            group: (any EventLoopGroup)? = nil) async throws -> DICOMListener {
        let limits = configuration.limits
        let artim = configuration.artimTimeout, idle = configuration.idleTimeout
        let channel = try await ServerBootstrap(group: group ?? MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(PDUFrameDecoder(limits: limits)),
                        MessageToByteHandler(PDUEncoder()),
                        AssociationTimeoutHandler(artim: artim, idle: idle),
                    ])
                    return try NIOAsyncChannel<InboundPDU, PDU>(wrappingChannelSynchronously: child)
                }
            }
        return DICOMListener(configuration: configuration, provider: provider, logger: logger, serverChannel: channel)
    }

    /// Serves associations until the listening socket is closed (`close()`) or the task is cancelled.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await serverChannel.executeThenClose { inbound in
                for try await connection in inbound {
                    group.addTask { await self.serve(connection) }
                }
            }
        }
    }

    /// Stops accepting; associations in progress finish (or are cancelled with the task running `run`).
    public func close() async {
        try? await serverChannel.channel.close()
    }

    /// Connections open now (associated or not).
    public var openConnections: Int { connections.withLock { $0 } }

    /// Associations being served now.
    public var activeAssociations: Int { active.withLock { $0 } }

    func serve(_ connection: NIOAsyncChannel<InboundPDU, PDU>) async {
        let peerHost = connection.channel.remoteAddress?.ipAddress
        let admitted = connections.withLock { n in
            guard n < maxConnections else { return false }
            n += 1
            return true
        }
        guard admitted else {
            logger.notice("DICOM connection from \(peerHost ?? "?") refused: \(maxConnections) connections already open")
            try? await connection.channel.close()
            return
        }
        defer { connections.withLock { $0 -= 1 } }
        var association = AssociationMachine(configuration: configuration, provider: provider, logger: logger, peerHost: peerHost,
                                             listener: self)
        do {
            try await connection.executeThenClose { inbound, _ in
                try await association.run(inbound: inbound, channel: connection.channel)
            }
        } catch {
            logger.debug("DICOM connection from \(peerHost ?? "?") ended: \(error)")
        }
        await association.finish()
    }

    /// Takes a slot for a new association; false when `maxAssociations` are already served.
    func reserveSlot() -> Bool {
        active.withLock { n in
            guard n < configuration.maxAssociations else { return false }
            n += 1
            return true
        }
    }

    func releaseSlot() { active.withLock { $0 -= 1 } }
}
