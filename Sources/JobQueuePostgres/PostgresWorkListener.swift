import Foundation
import NIOCore
import PostgresNIO

/// A dedicated connection that `LISTEN`s on `medinfer_work` and wakes `waitForWork` callers. The payload
/// of a notification is the schema whose queue got work, so stores on other schemas of the same database
/// (tests, several deployments) do not wake each other. Reconnects after a second when the connection drops,
/// and wakes every waiter then (a notification may have been missed meanwhile).
final class PostgresWorkListener: @unchecked Sendable {  // state guarded by `lock`
    static let channel = "medinfer_work"

    private let connector: PostgresConnector
    /// The schema notifications must name to wake this store's waiters.
    let payload: String
    private let lock = NSLock()
    private var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter: UInt64 = 0
    private var connection: PostgresConnection?
    private var stopped = false

    init(connector: PostgresConnector, payload: String) {
        self.connector = connector
        self.payload = payload
    }

    /// Connects and listens; the future fails when the first attempt does (later drops reconnect by themselves).
    func start() -> EventLoopFuture<Void> {
        let logger = connector.logger
        return connector.connect(id: 0).flatMap { connection in
            connection.addListener(channel: Self.channel) { [weak self] _, notification in
                guard let self, notification.payload == self.payload else { return }
                self.wakeAll()
            }
            return connection.query("LISTEN \(unescaped: Self.channel)", logger: logger)
                .map { _ in self.adopt(connection) }
                .flatMapError { error in connection.closeAndRelease().flatMapThrowing { throw error } }
        }
    }

    private func adopt(_ connection: PostgresConnection) {
        let keep = lock.withLock {
            if !stopped { self.connection = connection }
            return !stopped
        }
        guard keep else { _ = connection.closeAndRelease(); return }
        connection.closeFuture.whenComplete { [weak self] _ in self?.connectionClosed() }
        wakeAll()
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
            self?.start().whenFailure { [weak self] _ in self?.scheduleReconnect() }
        }
    }

    /// Returns after `timeout`, when a notification for this schema arrives, or when the task is cancelled.
    func wait(timeout: Duration) async {
        let id = lock.withLock {
            nextWaiter += 1
            return nextWaiter
        }
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = seconds >= Int64.max / 1_000_000_000 ? Int64.max : max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let registered = lock.withLock {
                    if !stopped { waiters[id] = continuation }
                    return !stopped
                }
                guard registered else { continuation.resume(); return }
                connector.group.next().scheduleTask(in: .nanoseconds(nanoseconds)) { [weak self] in self?.wake(id) }
                if Task.isCancelled { wake(id) }
            }
        } onCancel: {
            wake(id)
        }
    }

    private func wake(_ id: UInt64) {
        lock.withLock { waiters.removeValue(forKey: id) }?.resume()
    }

    /// Wakes every current waiter (also called for `notifyWork` in this process).
    func wakeAll() {
        let woken = lock.withLock {
            defer { waiters = [:] }
            return waiters.values
        }
        for continuation in woken { continuation.resume() }
    }

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
