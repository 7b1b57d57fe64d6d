import Foundation
import JobQueue
import JobQueuePostgres

extension TestQueueStores {
    /// A migrated PostgreSQL store for one test in a new schema of the database at `url`, and a closure
    /// that drops that schema and closes the store.
    static func makePostgresStore(url: String)
        throws -> (store: any QueueStore, drop: @Sendable () -> Void)
    {
        let store = try PostgresQueueStore.inFreshSchema(url: url)
        return (store, { try? store.dropSchemaAndClose() })
    }
}
