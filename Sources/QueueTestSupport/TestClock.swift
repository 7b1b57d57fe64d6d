public import JobQueue
import Synchronization

/// A clock for `JobQueue.Configuration.clock` that moves only when a test advances it: lease expiry,
/// backoff and age cut-offs are tested by advancing time, never by sleeping on the wall clock.
public final class TestClock: Sendable {
    private let milliseconds: Mutex<Int64>

    /// Starts at `start` (ms since 1970), by default the wall clock's now, so stored times look real.
    public init(start: Int64 = Timestamp.now()) {
        milliseconds = Mutex(start)
    }

    /// Now, in milliseconds since 1970.
    public func now() -> Int64 { milliseconds.withLock { $0 } }

    /// Moves time forward by `duration`.
    public func advance(by duration: Duration) {
        milliseconds.withLock { $0 += Timestamp.milliseconds(duration) }
    }
}
