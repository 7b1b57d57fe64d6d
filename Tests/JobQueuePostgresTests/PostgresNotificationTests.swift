import JobQueue
import JobQueuePostgres
import Testing

@Suite("PostgreSQL LISTEN/NOTIFY", .enabled(if: TestDatabase.isConfigured, TestDatabase.skipReason))
struct PostgresNotificationTests {
    @Test func notifyOnOneStoreWakesAWaiterOnAnother() async throws {
        try await TestDatabase.withStore { notifier in
            try await TestDatabase.closing(try await PostgresQueueStore(url: notifier.url)) { waiter in
                let timeout = Duration.seconds(60)
                let waited = await TestDatabase.waitWhileNotifying(waiter: waiter, notifier: notifier, timeout: timeout)
                #expect(waited == .notified, "waitForWork returned only at its timeout")
            }
        }
    }

    @Test func waitReturnsAtTheTimeoutWhenOnlyAnotherSchemaGetsWork() async throws {
        try await TestDatabase.withStore { quiet in
            try await TestDatabase.withStore { busy in
                let clock = ContinuousClock()
                let start = clock.now
                async let waited = quiet.waitForWork(timeout: .milliseconds(500))
                for _ in 0..<5 { await busy.notifyWork() }
                #expect(await waited == .timedOut)
                #expect(clock.now - start >= .milliseconds(500))
            }
        }
    }
}
