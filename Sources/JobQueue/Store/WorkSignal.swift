import Synchronization

/// Wakes tasks waiting for work in this process: what `QueueStore.notifyWork`/`waitForWork` need within
/// one process (a store that also hears other processes, like PostgreSQL's `LISTEN`, calls `notify()`
/// when it hears one).
///
/// A notification with nobody waiting is kept for the next `wait`, so work queued while a worker was
/// busy is not left for the timeout to find.
public final class WorkSignal: Sendable {
    private struct State {
        var waiters: [UInt64: CheckedContinuation<WakeReason, Never>] = [:]
        /// Waits in progress, and those whose timeout or cancellation came before they had registered.
        var active: Set<UInt64> = []
        var expired: [UInt64: WakeReason] = [:]
        var pending = false
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes every waiter now, or the next one when none waits.
    public func notify() {
        let woken = state.withLock { s in
            if s.waiters.isEmpty { s.pending = true }
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for waiter in woken { waiter.resume(returning: .notified) }
    }

    /// Why a `wait` returned.
    public enum WakeReason: Sendable, Equatable {
        case notified
        case timedOut
        case cancelled
    }

    /// Returns after `timeout`, when notified, or when the task is cancelled, and says which came first.
    @discardableResult
    public func wait(timeout: Duration) async -> WakeReason {
        let id: UInt64? = state.withLock { s in
            if s.pending {
                s.pending = false
                return nil
            }
            s.nextID += 1
            s.active.insert(s.nextID)
            return s.nextID
        }
        guard let id else { return .notified }
        let timer = Task { [self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            expire(id, .timedOut)
        }
        defer {
            timer.cancel()
            state.withLock { s in
                s.active.remove(id)
                s.expired[id] = nil
            }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<WakeReason, Never>) in
                let resumeNow: WakeReason? = state.withLock { s in
                    // Expired already, or notified between taking the id and getting here.
                    if let reason = s.expired.removeValue(forKey: id) { return reason }
                    if s.pending {
                        s.pending = false
                        return .notified
                    }
                    s.waiters[id] = continuation
                    return nil
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            expire(id, .cancelled)
        }
    }

    private func expire(_ id: UInt64, _ reason: WakeReason) {
        let waiter = state.withLock { s in
            guard let waiter = s.waiters.removeValue(forKey: id) else {
                if s.active.contains(id), s.expired[id] == nil { s.expired[id] = reason }
                return nil as CheckedContinuation<WakeReason, Never>?
            }
            return waiter
        }
        waiter?.resume(returning: reason)
    }
}
