import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode, shared by any number of `JobQueue` values in one
/// process or several on the same machine. Every write is one `IMMEDIATE` transaction (the write lock is
/// taken at `BEGIN`, so two processes never both read a row as claimable) with `synchronous = FULL`.
///
/// Work notifications reach only this process: a worker in another process finds new work when its
/// `waitForWork` timeout runs out.
public final class SQLiteQueueStore: QueueStore {
    public var dialect: SQLDialect { .sqlite }
    /// The database file's path (`:memory:` for `inMemory`).
    public let location: String
    /// A `DatabasePool` (WAL: readers never wait for the writer) on a file; a `DatabaseQueue` in memory.
    let database: any DatabaseWriter
    let signal = WorkSignal()

    /// Opens (creating it and its folder when needed) the database file at `path` and applies the
    /// migrations it lacks: the queue's own, then `migrations` (other modules' tables) in order.
    /// - Parameter busyTimeout: how long a statement waits for another process's write lock before failing.
    /// - Throws: `.storage` when the file cannot be opened, created or migrated.
    public init(path: String, busyTimeout: Duration = .seconds(10), migrations: [QueueMigration] = []) throws(JobQueueError) {
        location = path
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw .storage(path: folder.path, reason: "cannot create folder: \(error.localizedDescription)")
        }
        var config = GRDB.Configuration()
        config.busyMode = .timeout(Double(Timestamp.milliseconds(busyTimeout)) / 1000)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            // FULL: a commit that returned is on disk, as "accepted" promises (WAL's default NORMAL may
            // lose the last commits on power loss).
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            database = try DatabasePool(path: path, configuration: config)
            // GRDB reads which migrations are applied, then runs each missing one in a transaction of its
            // own: two processes opening a database at once would both run the same one. A lock file beside
            // the database makes them take turns (the second finds everything applied).
            let lock = try FileLock(path: path + ".migrating")
            _ = lock.lock(exclusive: true)
            defer { lock.unlock() }
            try Self.migrator(extra: migrations).migrate(database)
        } catch {
            throw .storage(path: path, reason: "cannot open the job database: \(error)")
        }
    }

    /// A store in memory, for tests of the layers above: the same SQL, constraints, triggers and migrations
    /// as the file, without the disk (nothing survives the value; no other process can share it).
    public init(inMemory migrations: [QueueMigration] = []) throws(JobQueueError) {
        location = ":memory:"
        var config = GRDB.Configuration()
        config.foreignKeysEnabled = true
        do {
            database = try DatabaseQueue(configuration: config)
            try Self.migrator(extra: migrations).migrate(database)
        } catch {
            throw .storage(path: location, reason: "cannot create the in-memory job database: \(error)")
        }
    }

    /// On GRDB's writer queue (its own thread: a commit's fsync never blocks the caller's executor).
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws(JobQueueError) -> T {
        try await mappingErrors { [database] in
            try await database.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(GRDBTransaction(db: db))
                    return .commit
                }
                guard let result else { throw JobQueueError.database("the transaction committed without a result") }
                return result
            }
        }
    }

    /// On one of GRDB's reader connections (WAL: readers never wait for the writer).
    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws(JobQueueError) -> T {
        try await mappingErrors { [database] in try await database.read { db in try body(GRDBTransaction(db: db)) } }
    }

    public func notifyWork() async { signal.notify() }

    @discardableResult
    public func waitForWork(timeout: Duration) async -> WorkSignal.WakeReason { await signal.wait(timeout: timeout) }

    /// The queue's own errors pass unchanged; SQLite's (locked too long, constraint, corrupt file) become
    /// `.database`.
    ///
    /// The transaction runs in a task of its own: GRDB's async access gives up when its task is cancelled,
    /// and a queue must not (a worker told to stop records the batch it finished first). Cancelling the
    /// caller does not cancel a transaction it started.
    private func mappingErrors<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws(JobQueueError) -> T {
        do {
            return try await Task.detached(operation: body).value
        } catch let error as JobQueueError {
            throw error
        } catch {
            throw .database("\(error)")
        }
    }
}

/// `SQLTransaction` on a GRDB connection inside `write` or `read`.
struct GRDBTransaction: SQLTransaction {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    func execute(_ sql: String, _ arguments: SQLArguments) throws -> Int {
        try db.execute(sql: sql, arguments: Self.arguments(arguments))
        return db.changesCount
    }

    func fetchAll(_ sql: String, _ arguments: SQLArguments) throws -> [SQLRow] {
        try Row.fetchAll(db, sql: sql, arguments: Self.arguments(arguments)).map { row in
            var columns: [String: SQLValue] = [:]
            for (name, value) in row { columns[name] = Self.value(value) }
            return SQLRow(columns: columns)
        }
    }

    static func arguments(_ arguments: SQLArguments) -> StatementArguments {
        StatementArguments(arguments.values.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case .null: nil
            case .integer(let v): v
            case .real(let v): v
            case .text(let v): v
            }
        })
    }

    static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: .null
        case .int64(let v): .integer(v)
        case .double(let v): .real(v)
        case .string(let v): .text(v)
        // The schema has no BLOB columns; text is the closest reading of one written by hand.
        case .blob(let data): .text(String(decoding: data, as: UTF8.self))
        }
    }
}
