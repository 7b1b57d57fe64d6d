import Foundation
import JobQueue
import NIOCore
import PostgresNIO

/// A dedicated connection that `LISTEN`s on `medinfer_work` and wakes `waitForWork` callers. The payload
/// of a notification is the schema whose queue got work, so stores on other schemas of the same database
/// (tests, several deployments) do not wake each other. Reconnects after a second when the connection drops,
/// and wakes every waiter then (a notification may have been missed meanwhile). Waiters wait on `signal`,
/// which keeps a notification that arrives while nobody waits.
final class PostgresWorkListener: @unchecked Sendable {  // state guarded by `lock`
    static let channel = "medinfer_work"

    private let connector: PostgresConnector
    /// The schema notifications must name to wake this store's waiters.
    let payload: String
    let signal = WorkSignal()
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var stopped = false

    init(connector: PostgresConnector, payload: String) {
        self.connector = connector
        self.payload = payload
    }

    /// Connects and listens; the future fails when the first attempt does (later drops reconnect by themselves).
    /// A reconnection wakes the waiters, since a notification may have been sent while nobody listened.
    func start(reconnecting: Bool = false) -> EventLoopFuture<Void> {
        let logger = connector.logger
        return connector.connect(id: 0).flatMap { connection in
            connection.addListener(channel: Self.channel) { [weak self] _, notification in
                guard let self, notification.payload == self.payload else { return }
                self.wakeAll()
            }
            return connection.query("LISTEN \(unescaped: Self.channel)", logger: logger)
                .map { _ in self.adopt(connection, wake: reconnecting) }
                .flatMapError { error in connection.closeAndRelease().flatMapThrowing { throw error } }
        }
    }

    private func adopt(_ connection: PostgresConnection, wake: Bool) {
        let keep = lock.withLock {
            if !stopped { self.connection = connection }
            return !stopped
        }
        guard keep else { _ = connection.closeAndRelease(); return }
        connection.closeFuture.whenComplete { [weak self] _ in self?.connectionClosed() }
        if wake { wakeAll() }
    }

    private func connectionClosed() {
        let reconnect = lock.withLock {
            connection = nil
            return !stopped
        }
        if reconnect { scheduleReconnect() }
    }

    private func scheduleReconnect() {
        connector.group.next().scheduleTask(in: .seconds(1)) { [weak self] in
            self?.start(reconnecting: true).whenFailure { [weak self] _ in self?.scheduleReconnect() }
        }
    }

    /// Wakes every current waiter, or the next one (also called for `notifyWork` in this process).
    func wakeAll() { signal.notify() }

    /// Closes the connection, stops reconnecting and releases every waiter.
    func stop() -> EventLoopFuture<Void>? {
        let connection = lock.withLock {
            stopped = true
            defer { self.connection = nil }
            return self.connection
        }
        wakeAll()
        return connection?.closeAndRelease()
    }
}
