import Foundation
import JobQueue

extension TestQueueStores {
    /// A PostgreSQL store for one test in a new `schema` of the database at `url` (migrated), and a closure
    /// that drops that schema.
    ///
    /// LEAD, after merging store-pg: add `"JobQueuePostgres"` to the dependencies of `QueueTestSupport` in
    /// Package.swift, `import JobQueuePostgres` here, and replace the `throw` with the store, e.g.
    ///     let store = try PostgresQueueStore(url: url, schema: schema, ...)
    ///     return (store, { try? store.dropSchema() })
    static func makePostgresStore(url: String, schema: String, configuration: JobQueue.Configuration)
        throws -> (store: any QueueStore, drop: @Sendable () -> Void)
    {
        throw TestStoreError.postgresNotLinked
    }
}
