import Foundation
@testable import JobQueue
import QueueTestSupport
import Testing

/// `waitForWork`: an idle worker sleeps until its timeout, or until a submission tells it there is work.
@Suite struct WorkNotificationTests {
    /// Long enough that only a notification or a cancellation ends the wait. The tests check the reason the
    /// wait gives, not the time it took: the full suite can keep a task off the CPU for minutes.
    static let long: Duration = .seconds(300)

    @Test(arguments: TestQueueStores.kinds) func aSubmissionWakesAWaitingWorker(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        async let waited = t.queue.store.waitForWork(timeout: Self.long)
        try await Task.sleep(for: .milliseconds(100))  // the waiter is (usually) registered; if not, the notification is kept
        try await t.submit()
        #expect(await waited == .notified)
    }

    @Test(arguments: TestQueueStores.kinds) func withoutWorkTheWaitEndsAtItsTimeout(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await t.queue.store.waitForWork(timeout: .milliseconds(200)) == .timedOut)
        #expect(clock.now - start >= .milliseconds(200))
    }

    /// Work queued while every worker was busy is not left for the timeout to find.
    @Test func aNotificationWithNobodyWaitingIsKeptForTheNextWait() async throws {
        let signal = WorkSignal()
        signal.notify()
        #expect(await signal.wait(timeout: Self.long) == .notified)
    }

    @Test func aWaitWithoutNotificationSaysItTimedOut() async {
        #expect(await WorkSignal().wait(timeout: .milliseconds(50)) == .timedOut)
    }

    @Test func cancellingEndsTheWait() async throws {
        let signal = WorkSignal()
        let waiting = Task { await signal.wait(timeout: Self.long) }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        #expect(await waiting.value == .cancelled)
    }
}
