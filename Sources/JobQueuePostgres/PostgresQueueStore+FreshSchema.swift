public import JobQueue
import Foundation

extension PostgresQueueStore {
    /// The environment variable `make test` sets to its private cluster's URL; the PostgreSQL tests run
    /// only when it is set.
    public static let testURLVariable = "MEDINFER_TEST_POSTGRES_URL"

    /// `MEDINFER_TEST_POSTGRES_URL`, or nil when unset or empty.
    public static var testURL: String? {
        ProcessInfo.processInfo.environment[testURLVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A migrated store in a new schema with a random name (`medinfer_test_` and 16 hex digits) of the
    /// database `url` names (its own `schema` parameter is replaced), so tests sharing one database do not
    /// see each other's rows. Drop it with `dropSchemaAndClose()`.
    public static func inFreshSchema(url: String, poolSize: Int = 4,
                                     migrations: [QueueMigration] = []) async throws(JobQueueError) -> PostgresQueueStore {
        var parsed: PostgresURL
        do { parsed = try PostgresURL(parsing: url) } catch { throw .invalidArgument(error.description) }
        parsed.schema = "medinfer_test_" + String(format: "%016llx", UInt64.random(in: .min ... .max))
        return try await PostgresQueueStore(url: parsed, poolSize: poolSize, migrations: migrations)
    }

    /// Drops this store's schema with every table and row in it, then closes the store.
    public func dropSchemaAndClose() async throws(JobQueueError) {
        guard let schema = url.schema else { throw .invalidArgument("\(location) names no schema to drop") }
        let dropped: Result<Int, JobQueueError>
        do {
            dropped = .success(try await transaction(begin: "BEGIN") { db in try await db.execute("DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE") })
        } catch {
            dropped = .failure(error)
        }
        await close()
        _ = try dropped.get()
    }
}
