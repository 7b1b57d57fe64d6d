import Synchronization

/// Mutual exclusion across suspension points: one holder at a time runs `withLock`'s body, which may
/// `await`; the others suspend (never block a thread) and enter in arrival order. For sections that must
/// not interleave while they wait on a database or the disk (a `Mutex` cannot be held across `await`).
public final class AsyncLock: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Runs `body` holding the lock; releases it however `body` ends.
    public func withLock<T, E: Error>(_ body: () async throws(E) -> T) async throws(E) -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                guard s.held else {
                    s.held = true
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.waiters.isEmpty else {
                s.held = false
                return nil
            }
            return s.waiters.removeFirst()  // the lock passes to it, still held
        }
        next?.resume()
    }
}
