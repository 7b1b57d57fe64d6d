import Core
import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode, shared by any number of `JobQueue` values in one
/// process or several on the same machine. Every write is one `IMMEDIATE` transaction (the write lock is
/// taken at `BEGIN`, so two processes never both read a row as claimable) with `synchronous = FULL`.
///
/// A transaction holds one connection from `BEGIN` to `COMMIT`: the write connection (one; writers take
/// turns) or one of `readerCount` read connections (WAL: readers never wait for the writer, and each sees
/// one snapshot). The whole transaction runs on the store's own threads (a `ThreadPoolTaskExecutor`, one
/// thread per connection), where each statement runs synchronously on its connection: SQLite's calls
/// block (a busy timeout, the commit's fsync), so they never run on the caller's executor, and a
/// transaction of ten statements costs one hop, not ten.
///
/// Work notifications reach only this process: a worker in another process finds new work when its
/// `waitForWork` timeout runs out.
public final class SQLiteQueueStore: QueueStore {
    public var dialect: SQLDialect { .sqlite }
    /// The database file's path (`:memory:` for `inMemory`).
    public let location: String
    /// The write connection, lent to one transaction at a time.
    let writer: AsyncPool<DatabaseQueue>
    /// The read connections; in memory, the write connection (one database, one connection).
    let readers: AsyncPool<DatabaseQueue>
    let signal = WorkSignal()
    /// Where transactions run: one thread per connection, so a statement waiting on a lock never holds
    /// up another connection's.
    let executor = ThreadPoolTaskExecutor(threads: SQLiteQueueStore.readerCount + 1)

    /// Read transactions that can run at once (each holds a connection of its own).
    public static let readerCount = 4

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
        func configuration(readOnly: Bool) -> GRDB.Configuration {
            var config = Self.configuration()
            config.busyMode = .timeout(Double(Timestamp.milliseconds(busyTimeout)) / 1000)
            config.prepareDatabase { db in
                // FULL: a commit that returned is on disk, as "accepted" promises (WAL's default NORMAL may
                // lose the last commits on power loss).
                try db.execute(sql: "PRAGMA synchronous = FULL")
                if readOnly { try db.execute(sql: "PRAGMA query_only = 1") }
            }
            return config
        }
        do {
            let write = try DatabaseQueue(path: path, configuration: configuration(readOnly: false))
            // WAL is a property of the file (kept once set): readers see the last commit without waiting.
            try write.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
            // GRDB reads which migrations are applied, then runs each missing one in a transaction of its
            // own: two processes opening a database at once would both run the same one. A lock file beside
            // the database makes them take turns (the second finds everything applied).
            let lock = try FileLock(path: path + ".migrating")
            _ = lock.lock(exclusive: true)
            defer { lock.unlock() }
            try Self.migrator(extra: migrations).migrate(write)
            writer = AsyncPool([write])
            readers = AsyncPool(try (0..<Self.readerCount).map { _ in
                try DatabaseQueue(path: path, configuration: configuration(readOnly: true))
            })
        } catch {
            throw .storage(path: path, reason: "cannot open the job database: \(error)")
        }
    }

    /// A store in memory, for tests of the layers above: the same SQL, constraints, triggers and migrations
    /// as the file, without the disk (nothing survives the value; no other process can share it).
    public init(inMemory migrations: [QueueMigration] = []) throws(JobQueueError) {
        location = ":memory:"
        do {
            let connection = try DatabaseQueue(configuration: Self.configuration())
            try Self.migrator(extra: migrations).migrate(connection)
            writer = AsyncPool([connection])
            readers = writer
        } catch {
            throw .storage(path: location, reason: "cannot create the in-memory job database: \(error)")
        }
    }

    private static func configuration() -> GRDB.Configuration {
        var config = GRDB.Configuration()
        config.foreignKeysEnabled = true
        // The store opens and ends its transactions itself (BEGIN and COMMIT are statements of their own,
        // awaited like the body's), so a connection is left inside one between two GRDB accesses.
        config.allowsUnsafeTransactions = true
        return config
    }

    /// On the write connection, from `BEGIN IMMEDIATE` to `COMMIT` (writers take turns).
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) async throws -> T) async throws(JobQueueError) -> T {
        try await transaction(on: writer, begin: "BEGIN IMMEDIATE", body)
    }

    /// On a read connection (one snapshot from the first statement to the last).
    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) async throws -> T) async throws(JobQueueError) -> T {
        try await transaction(on: readers, begin: "BEGIN DEFERRED", body)
    }

    public func notifyWork() async { signal.notify() }

    @discardableResult
    public func waitForWork(timeout: Duration) async -> WorkSignal.WakeReason { await signal.wait(timeout: timeout) }

    /// `begin`, the body, `COMMIT` on one connection of `pool`; `ROLLBACK` when anything throws. The queue's
    /// own errors pass unchanged; SQLite's (locked too long, constraint, corrupt file, full disk) become
    /// `.database`.
    ///
    /// The transaction runs in a task of its own, on the store's threads: cancelling the caller does not
    /// cancel a transaction it started (a worker told to stop records the batch it finished first).
    private func transaction<T: Sendable>(on pool: AsyncPool<DatabaseQueue>, begin: String,
                                          _ body: @escaping @Sendable (any SQLTransaction) async throws -> T) async throws(JobQueueError) -> T {
        do {
            return try await Task.detached { [executor] in
                try await withTaskExecutorPreference(executor) {
                    try await pool.withResource { connection in
                        let transaction = GRDBTransaction(connection: connection)
                        _ = try await transaction.execute(begin)
                        do {
                            let value = try await body(transaction)
                            _ = try await transaction.execute("COMMIT")
                            return value
                        } catch {
                            // After a failed COMMIT SQLite may have ended the transaction already.
                            try? connection.inDatabase { db in
                                if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
                            }
                            throw error
                        }
                    }
                }
            }.value
        } catch let error as JobQueueError {
            throw error
        } catch {
            throw .database("\(error)")
        }
    }
}

/// `SQLTransaction` on the connection a `write` or `read` holds. Each statement runs synchronously on the
/// calling thread, which is one of the store's own (`SQLiteQueueStore.executor`): the connection is this
/// transaction's alone, so GRDB's serial queue never makes it wait.
struct GRDBTransaction: SQLTransaction {
    let connection: DatabaseQueue
    var dialect: SQLDialect { .sqlite }

    func execute(_ sql: String, _ arguments: SQLArguments) async throws -> Int {
        try connection.inDatabase { db in
            try db.execute(sql: sql, arguments: Self.arguments(arguments))
            return db.changesCount
        }
    }

    func fetchAll(_ sql: String, _ arguments: SQLArguments) async throws -> [SQLRow] {
        try connection.inDatabase { db in
            try Row.fetchAll(db, sql: sql, arguments: Self.arguments(arguments)).map { row in
                var columns: [String: SQLValue] = [:]
                for (name, value) in row { columns[name] = Self.value(value) }
                return SQLRow(columns: columns)
            }
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
