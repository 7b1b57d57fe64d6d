public import JobQueue
import Foundation
import PostgresNIO

extension PostgresQueueStore {
    /// A transaction that lost a serialization conflict or a deadlock is rerun up to this many times in all.
    static let maximumAttempts = 30

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) async throws -> T) async throws(JobQueueError) -> T {
        try await transaction(begin: "BEGIN ISOLATION LEVEL SERIALIZABLE", body)
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) async throws -> T) async throws(JobQueueError) -> T {
        try await transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", body)
    }

    private enum Attempt<T: Sendable>: Sendable {
        case committed(T)
        case retry(JobQueueError)
        case failed(JobQueueError)
    }

    /// `begin`, the body, COMMIT; reruns everything (after a short random pause, so the contenders do not
    /// collide again in step) while PostgreSQL reports a serialization failure or deadlock, or the leased
    /// connection turns out to have been closed by the server (restart, idle timeout, termination).
    ///
    /// In a task of its own, so that cancelling the caller never abandons a transaction half-way.
    func transaction<T: Sendable>(begin: String, _ body: @escaping @Sendable (any SQLTransaction) async throws -> T) async throws(JobQueueError) -> T {
        let outcome = await Task.detached { () -> Result<T, JobQueueError> in
            for attempt in 1...Self.maximumAttempts {
                let outcome: Attempt<T>
                do {
                    outcome = try await self.client.withConnection { connection in
                        await self.attemptTransaction(on: connection, begin: begin, body)
                    }
                } catch {
                    return .failure(PostgresErrors.jobQueueError(error, location: self.location))
                }
                switch outcome {
                case .committed(let value): return .success(value)
                case .failed(let error): return .failure(error)
                case .retry(let error):
                    if attempt == Self.maximumAttempts {
                        return .failure(.database("\(error) (gave up after \(attempt) attempts)"))
                    }
                    let ceiling = min(50_000, 1_000 << min(attempt, 6))  // µs: 2, 4, ... 50 ms
                    try? await Task.sleep(for: .microseconds(Int.random(in: 500...ceiling)))
                }
            }
            preconditionFailure("unreachable: the last attempt returns")
        }.value
        return try outcome.get()
    }

    private func attemptTransaction<T: Sendable>(on connection: PostgresConnection, begin: String,
                                                 _ body: @Sendable (any SQLTransaction) async throws -> T) async -> Attempt<T> {
        let transaction = PostgresTransaction(connection: connection, location: location, logger: logger)
        func rollBack(after error: any Error) async -> Attempt<T> {
            // On a connection whose state is unknown the server ends the transaction when it closes it.
            _ = try? await transaction.run("ROLLBACK", [])
            let mapped = error as? JobQueueError ?? .database("\(error)")
            return await transaction.isRetryable ? .retry(mapped) : .failed(mapped)
        }
        do {
            _ = try await transaction.run(begin, [])
        } catch {
            // A pooled connection the server closed meanwhile: rerun on another (the pool drops this one).
            guard connection.isClosed else { return await rollBack(after: error) }
            return .retry(error)
        }
        let value: T
        do {
            value = try await body(transaction)
        } catch {
            return await rollBack(after: error)
        }
        do {
            // COMMIT of a transaction that an error aborted (and the body swallowed) rolls back instead.
            guard try await transaction.run("COMMIT", []).metadata.command == "ROLLBACK" else { return .committed(value) }
            let cause = await transaction.firstFailure?.error ?? .database("PostgreSQL \(location): the transaction was rolled back")
            return await transaction.isRetryable ? .retry(cause) : .failed(cause)
        } catch {
            return await rollBack(after: error)
        }
    }
}
