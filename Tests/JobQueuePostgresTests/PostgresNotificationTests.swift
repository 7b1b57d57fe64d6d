import JobQueue
import JobQueuePostgres
import Testing

@Suite("PostgreSQL LISTEN/NOTIFY", .enabled(if: TestDatabase.isConfigured, TestDatabase.skipReason))
struct PostgresNotificationTests {
    @Test func notifyOnOneStoreWakesAWaiterOnAnother() async throws {
        try await TestDatabase.withStore { notifier in
            let waiter = try PostgresQueueStore(url: notifier.url)
            defer { waiter.close() }
            let timeout = Duration.seconds(60)
            let waited = await withTaskGroup(of: Duration?.self) { group in
                group.addTask {
                    let clock = ContinuousClock()
                    let start = clock.now
                    await waiter.waitForWork(timeout: timeout)
                    return clock.now - start
                }
                // Notify until the waiter returns: the first NOTIFY may come before it started waiting.
                group.addTask {
                    while !Task.isCancelled {
                        notifier.notifyWork()
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                    return nil
                }
                var waited: Duration?
                for await result in group where result != nil {
                    waited = result
                    group.cancelAll()
                }
                return waited
            }
            let elapsed = try #require(waited)
            #expect(elapsed < timeout, "waitForWork returned only at its timeout")
        }
    }

    @Test func waitReturnsAtTheTimeoutWhenOnlyAnotherSchemaGetsWork() async throws {
        try await TestDatabase.withStore { quiet in
            try await TestDatabase.withStore { busy in
                let clock = ContinuousClock()
                let start = clock.now
                async let waited: Void = quiet.waitForWork(timeout: .milliseconds(500))
                for _ in 0..<5 { busy.notifyWork() }
                await waited
                #expect(clock.now - start >= .milliseconds(500))
            }
        }
    }
}
