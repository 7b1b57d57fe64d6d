import Foundation

/// Which SQL a store speaks. The queue writes one portable SQL text for both and asks the dialect only
/// where the two differ (`forUpdateSkipLocked`, upserts, types in migrations).
public enum SQLDialect: Sendable, Equatable {
    case sqlite
    case postgres
}

/// A value crossing the SQL boundary. Timestamps are `.integer` milliseconds since 1970; booleans are
/// `.integer` 0/1 on both stores (PostgreSQL `bool`, `numeric` and `int2/4/8` results are normalised to
/// these by its store).
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

/// A Swift value that binds as an SQL parameter.
public protocol SQLBindable: Sendable {
    var sqlValue: SQLValue { get }
}

/// A Swift value read from a result column. `nil` when the column's value cannot be this type.
public protocol SQLReadable {
    init?(sqlValue: SQLValue)
}

/// Positional parameters (`?` in the SQL text, in order). `nil` binds NULL.
public struct SQLArguments: Sendable, ExpressibleByArrayLiteral {
    public var values: [SQLValue]
    public init(_ values: [SQLValue]) { self.values = values }
    public init(arrayLiteral elements: (any SQLBindable)?...) {
        values = elements.map { $0?.sqlValue ?? .null }
    }
    public static func + (lhs: SQLArguments, rhs: SQLArguments) -> SQLArguments { SQLArguments(lhs.values + rhs.values) }
    public static func += (lhs: inout SQLArguments, rhs: SQLArguments) { lhs.values += rhs.values }
}

/// One result row, columns by name (as the SELECT names them; use `AS` for expressions).
public struct SQLRow: Sendable {
    public var columns: [String: SQLValue]
    public init(columns: [String: SQLValue]) { self.columns = columns }

    /// The column as `T`. A missing column or a value of another type is a bug in the queue's SQL, not a
    /// property of the data, so it traps with the column's name (as GRDB's `Row` does).
    public subscript<T: SQLReadable>(_ name: String) -> T {
        guard let value = columns[name] else { preconditionFailure("SQL row has no column '\(name)'") }
        guard let typed = T(sqlValue: value) else { preconditionFailure("SQL column '\(name)': \(value) is not \(T.self)") }
        return typed
    }
}

/// The statements of one transaction. Valid only inside the `write`/`read` body that received it, and
/// used by one task at a time (statements run in order; do not run two at once).
///
/// Statements are awaited: each runs on the store's own threads (GRDB's connection queues; PostgreSQL's
/// event loop) while the caller suspends, never blocking the caller's executor.
public protocol SQLTransaction: Sendable {
    var dialect: SQLDialect { get }
    /// Runs a statement; returns the number of rows it inserted, updated or deleted.
    @discardableResult
    func execute(_ sql: String, _ arguments: SQLArguments) async throws -> Int
    /// Runs a query and returns every row.
    func fetchAll(_ sql: String, _ arguments: SQLArguments) async throws -> [SQLRow]
}

extension SQLTransaction {
    @discardableResult
    public func execute(_ sql: String) async throws -> Int { try await execute(sql, []) }
    public func fetchAll(_ sql: String) async throws -> [SQLRow] { try await fetchAll(sql, []) }
    public func fetchOne(_ sql: String, _ arguments: SQLArguments = []) async throws -> SQLRow? {
        try await fetchAll(sql, arguments).first
    }
    /// The first column of the first row (nil when there is no row or it is NULL).
    public func scalar<T: SQLReadable>(_ sql: String, _ arguments: SQLArguments = [], as _: T.Type = T.self) async throws -> T? {
        guard let row = try await fetchAll(sql, arguments).first, row.columns.count == 1, let value = row.columns.values.first,
              value != .null else { return nil }
        return T(sqlValue: value)
    }
    /// ` FOR UPDATE OF <table> SKIP LOCKED` on PostgreSQL (a claim skips rows another worker is claiming);
    /// empty on SQLite, whose write transactions are already serial. `table` is the name or alias, in the
    /// query's FROM, of the rows to lock: PostgreSQL refuses `FOR UPDATE` with GROUP BY or aggregates, and
    /// in a join would otherwise also lock the joined rows (a claim locks `images`, never their `jobs`).
    public func forUpdateSkipLocked(of table: String) -> String {
        dialect == .postgres ? " FOR UPDATE OF \(table) SKIP LOCKED" : ""
    }
}

/// Where a `JobQueue` keeps its rows: the embedded SQLite file (default) or a PostgreSQL database
/// shared by many API servers and workers. Both run the same SQL through `SQLTransaction`, so leases,
/// retries, idempotency, priorities and the audit chain behave the same.
public protocol QueueStore: Sendable {
    var dialect: SQLDialect { get }
    /// For messages: the SQLite file's path, or the PostgreSQL URL without its password.
    var location: String { get }
    /// Runs `body` in one serializable write transaction and commits it. The body may run more than once
    /// (PostgreSQL retries a transaction that lost a serialization conflict), so it must have no effect
    /// outside the transaction. Errors thrown by the body roll back and are rethrown unchanged; the store's
    /// own failures are thrown as `JobQueueError.database`.
    ///
    /// The body's statements are awaited (see `SQLTransaction`); the body itself should do nothing slow
    /// between them, since it holds the write lock (SQLite) or a pooled connection (PostgreSQL) meanwhile.
    /// Cancelling the caller does not abandon a transaction it started: it commits or rolls back whole.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) async throws -> T) async throws(JobQueueError) -> T
    /// Runs `body` in a read-only transaction (one consistent snapshot), as `write` does.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) async throws -> T) async throws(JobQueueError) -> T
    /// Tells idle workers, in this process and others, that work was queued (PostgreSQL: `NOTIFY`).
    /// Call after the transaction that queued it committed.
    func notifyWork() async
    /// Returns after `timeout`, or sooner when `notifyWork()` was called (in any process, on PostgreSQL;
    /// in this process, on SQLite), and says which came first. A notification that arrives while nobody
    /// waits is kept for the next wait.
    @discardableResult
    func waitForWork(timeout: Duration) async -> WorkSignal.WakeReason
}
