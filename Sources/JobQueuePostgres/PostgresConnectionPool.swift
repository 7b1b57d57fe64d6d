import Foundation
import JobQueue
import NIOCore
import PostgresNIO

/// At most `maximum` connections, lent to one blocking caller at a time; a caller waits when all are lent.
/// A connection that closed (server restart, network) is dropped when returned, and the next checkout
/// opens a fresh one.
final class PostgresConnectionPool: @unchecked Sendable {  // state guarded by `condition`
    private let connector: PostgresConnector
    private let maximum: Int
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0  // idle + lent + being opened
    private var nextID = 1
    private var closed = false

    init(connector: PostgresConnector, maximum: Int) {
        self.connector = connector
        self.maximum = max(1, maximum)
    }

    /// Runs `body` with a connection of its own; `broken` tells the pool not to reuse it (e.g. its
    /// transaction state is unknown).
    func withConnection<T>(_ body: (PostgresConnection, _ broken: inout Bool) throws(JobQueueError) -> T) throws(JobQueueError) -> T {
        let connection = try checkOut()
        var broken = false
        defer { checkIn(connection, broken: broken) }
        return try body(connection, &broken)
    }

    private func checkOut() throws(JobQueueError) -> PostgresConnection {
        condition.lock()
        while true {
            if closed { condition.unlock(); throw .database("PostgreSQL \(connector.url.redacted): the store is closed") }
            if let connection = idle.popLast() {
                if connection.isClosed { open -= 1; continue }
                condition.unlock()
                return connection
            }
            if open < maximum { break }
            condition.wait()
        }
        open += 1
        let id = nextID
        nextID += 1
        condition.unlock()
        do {
            return try connector.connectAndWait(id: id)
        } catch {
            condition.lock(); open -= 1; condition.signal(); condition.unlock()
            throw error
        }
    }

    private func checkIn(_ connection: PostgresConnection, broken: Bool) {
        condition.lock()
        let reuse = !broken && !closed && !connection.isClosed
        if reuse { idle.append(connection) } else { open -= 1 }
        condition.signal()
        condition.unlock()
        if !reuse { _ = connection.closeAndRelease() }
    }

    /// Refuses further checkouts and closes the idle connections (lent ones close when returned).
    func close() -> [EventLoopFuture<Void>] {
        condition.lock()
        closed = true
        let connections = idle
        open -= idle.count
        idle = []
        condition.broadcast()
        condition.unlock()
        return connections.map { $0.closeAndRelease() }
    }
}
