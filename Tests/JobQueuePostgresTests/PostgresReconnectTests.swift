import JobQueue
import JobQueuePostgres
import Testing

@Suite("PostgreSQL connections that drop", .enabled(if: TestDatabase.isConfigured, TestDatabase.skipReason))
struct PostgresReconnectTests {
    @Test func terminatedConnectionsAreReplaced() async throws {
        try await TestDatabase.withStore { store in
            try await TestDatabase.closing(try await PostgresQueueStore(url: store.url, poolSize: 1)) { other in
                _ = try await store.read { db in try await db.scalar("SELECT 1 AS one", as: Int.self) }  // an idle pooled connection
                // The server ends every connection of this schema but the one asking: both pools' idle ones and both listeners.
                let terminated = try await other.write { db in
                    try await db.scalar("""
                        SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity
                        WHERE application_name = ? AND pid <> pg_backend_pid()
                        """, ["medinfer \(try #require(store.url.schema))"], as: Int.self)
                }
                #expect(terminated == 3)
                await #expect(try store.read { db in try await db.scalar("SELECT 2 AS two", as: Int.self) } == 2)
                // The listener reconnects (waking its waiters, as it may have missed a NOTIFY); after that a
                // NOTIFY from the other store wakes a waiter here again.
                let timeout = Duration.seconds(60)
                let reconnected = await TestDatabase.waitWhileNotifying(waiter: store, notifier: other, timeout: timeout)
                #expect(reconnected == .notified)
                let waited = await TestDatabase.waitWhileNotifying(waiter: store, notifier: other, timeout: timeout)
                #expect(waited == .notified)
            }
        }
    }
}
