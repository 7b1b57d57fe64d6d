import Core
public import JobQueue
import Foundation
import PostgresNIO

extension PostgresQueueStore {
    /// A transaction that lost a serialization conflict or a deadlock is rerun up to this many times in all.
    static let maximumAttempts = 30

    /// On the blocking executor (`Blocking`): the transaction's statements wait for their answers there,
    /// never on the caller's executor or the connection's event loop.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws(JobQueueError) -> T {
        try await Blocking.run { () throws(JobQueueError) in try self.transaction(begin: "BEGIN ISOLATION LEVEL SERIALIZABLE", body) }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws(JobQueueError) -> T {
        try await Blocking.run { () throws(JobQueueError) in
            try self.transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", body)
        }
    }

    private enum Attempt<T> {
        case committed(T)
        case retry(JobQueueError)
        case failed(JobQueueError)
    }

    /// `begin`, the body, COMMIT; reruns everything (after a short random pause, so the contenders do not
    /// collide again in step) while PostgreSQL reports a serialization failure or deadlock.
    func transaction<T>(begin: String, _ body: (any SQLTransaction) throws -> T) throws(JobQueueError) -> T {
        for attempt in 1...Self.maximumAttempts {
            let outcome = try pool.withConnection { connection, broken throws(JobQueueError) in
                attemptTransaction(on: connection, broken: &broken, begin: begin, body)
            }
            switch outcome {
            case .committed(let value): return value
            case .failed(let error): throw error
            case .retry(let error):
                if attempt == Self.maximumAttempts {
                    throw .database("\(error) (gave up after \(attempt) attempts)")
                }
                let ceiling = min(50_000, 1_000 << min(attempt, 6))  // µs: 2, 4, ... 50 ms
                usleep(UInt32.random(in: 500...UInt32(ceiling)))
            }
        }
        preconditionFailure("unreachable: the last attempt returns or throws")
    }

    private func attemptTransaction<T>(on connection: PostgresConnection, broken: inout Bool, begin: String,
                                       _ body: (any SQLTransaction) throws -> T) -> Attempt<T> {
        let transaction = PostgresTransaction(connection: connection, location: location, logger: logger)
        func rollBack(after error: any Error) -> Attempt<T> {
            do { _ = try transaction.run("ROLLBACK", []) } catch { broken = true }  // state unknown: do not reuse
            let mapped = error as? JobQueueError ?? .database("\(error)")
            return transaction.isRetryable ? .retry(mapped) : .failed(mapped)
        }
        do {
            _ = try transaction.run(begin, [])
        } catch {
            // A pooled connection the server closed meanwhile (restart, idle timeout): rerun on a new one.
            guard connection.isClosed else { return rollBack(after: error) }
            broken = true
            return .retry(error)
        }
        let value: T
        do {
            value = try body(transaction)
        } catch {
            return rollBack(after: error)
        }
        do {
            // COMMIT of a transaction that an error aborted (and the body swallowed) rolls back instead.
            guard try transaction.run("COMMIT", []).metadata.command == "ROLLBACK" else { return .committed(value) }
            let cause = transaction.firstFailure?.error ?? .database("PostgreSQL \(location): the transaction was rolled back")
            return transaction.isRetryable ? .retry(cause) : .failed(cause)
        } catch {
            return rollBack(after: error)
        }
    }
}
