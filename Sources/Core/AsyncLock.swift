/// Mutual exclusion across suspension points: one holder at a time runs `withLock`'s body, which may
/// `await`; the others suspend (never block a thread) and enter in arrival order. For sections that must
/// not interleave while they wait on a database or the disk (a `Mutex` cannot be held across `await`).
public final class AsyncLock: Sendable {
    private let pool = AsyncPool([()])

    public init() {}

    /// Runs `body` holding the lock; releases it however `body` ends.
    public func withLock<T, E: Error>(_ body: () async throws(E) -> T) async throws(E) -> T {
        try await pool.withResource { _ throws(E) in try await body() }
    }
}
