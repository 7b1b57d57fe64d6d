import JobQueue
import JobQueuePostgres
import Testing

/// The PostgreSQL suites run against `MEDINFER_TEST_POSTGRES_URL` (set by `make test`), each test in a
/// schema of its own that is dropped afterwards.
enum TestDatabase {
    static let isConfigured = PostgresQueueStore.testURL != nil
    static let skipReason: Comment = "MEDINFER_TEST_POSTGRES_URL is not set: run `make test`, or `Scripts/pg-test-cluster.sh start` and export its URL"


    /// The description of the error `body` throws (nil when it throws none), for tests that check what a
    /// refusal says.
    static func errorText<T>(_ body: () async throws -> T) async -> String? {
        do {
            _ = try await body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Runs `body` with a store in a fresh schema, then drops the schema (also when `body` throws).
    static func withStore<T>(poolSize: Int = 4, migrations: [QueueMigration] = [],
                             _ body: (PostgresQueueStore) async throws -> T) async throws -> T {
        let store = try await PostgresQueueStore.inFreshSchema(url: try #require(PostgresQueueStore.testURL), poolSize: poolSize,
                                                               migrations: migrations)
        do {
            let value = try await body(store)
            try? await store.dropSchemaAndClose()
            return value
        } catch {
            try? await store.dropSchemaAndClose()
            throw error
        }
    }

    /// Runs `body` with `store`, then closes it (also when `body` throws).
    static func closing<T>(_ store: PostgresQueueStore, _ body: (PostgresQueueStore) async throws -> T) async throws -> T {
        do {
            let value = try await body(store)
            await store.close()
            return value
        } catch {
            await store.close()
            throw error
        }
    }

    /// Why `waiter.waitForWork(timeout:)` returned while `notifier` called `notifyWork()` every 50 ms
    /// (repeatedly, since the first NOTIFY may come before the waiter started waiting).
    static func waitWhileNotifying(waiter: PostgresQueueStore, notifier: PostgresQueueStore, timeout: Duration) async -> WorkSignal.WakeReason? {
        await withTaskGroup(of: WorkSignal.WakeReason?.self) { group in
            group.addTask { await waiter.waitForWork(timeout: timeout) }
            group.addTask {
                while !Task.isCancelled {
                    await notifier.notifyWork()
                    try? await Task.sleep(for: .milliseconds(50))
                }
                return nil
            }
            var waited: WorkSignal.WakeReason?
            for await result in group where result != nil {
                waited = result
                group.cancelAll()
            }
            return waited
        }
    }
}
