import Synchronization

/// A fixed set of resources (database connections, say), each lent to one task at a time across suspension
/// points: `withResource` suspends (never blocks a thread) while all are lent, and waiters are served in
/// arrival order. `AsyncLock` is the pool of one.
public final class AsyncPool<Resource: Sendable>: Sendable {
    private struct State {
        var idle: [Resource]
        var waiters: [CheckedContinuation<Resource, Never>] = []
    }

    private let state: Mutex<State>

    /// - Precondition: `resources` is not empty (a pool of none would make every caller wait forever).
    public init(_ resources: [Resource]) {
        precondition(!resources.isEmpty, "an AsyncPool needs at least one resource")
        state = Mutex(State(idle: resources))
    }

    /// Runs `body` with a resource of its own; returns the resource however `body` ends.
    public func withResource<T, E: Error>(_ body: (Resource) async throws(E) -> T) async throws(E) -> T {
        let resource = await checkOut()
        defer { checkIn(resource) }
        return try await body(resource)
    }

    private func checkOut() async -> Resource {
        await withCheckedContinuation { (continuation: CheckedContinuation<Resource, Never>) in
            let resource = state.withLock { s -> Resource? in
                if let resource = s.idle.popLast() { return resource }
                s.waiters.append(continuation)
                return nil
            }
            if let resource { continuation.resume(returning: resource) }
        }
    }

    private func checkIn(_ resource: Resource) {
        let next = state.withLock { s -> CheckedContinuation<Resource, Never>? in
            guard !s.waiters.isEmpty else {
                s.idle.append(resource)
                return nil
            }
            return s.waiters.removeFirst()  // handed straight to the longest waiter
        }
        next?.resume(returning: resource)
    }
}
