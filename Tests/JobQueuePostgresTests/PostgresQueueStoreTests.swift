import Foundation
import JobQueue
@testable import JobQueuePostgres
import Synchronization
import Testing

@Suite("PostgresQueueStore on a real server", .enabled(if: TestDatabase.isConfigured, TestDatabase.skipReason))
struct PostgresQueueStoreTests {
    struct Expected: Error, Equatable {}

    @Test func everyValueRoundTripsIncludingNullInEachPosition() async throws {
        try await TestDatabase.withStore { store in
            let rows: [[SQLValue]] = [
                [.integer(.max), .real(-1.5e300), .text("it's ? \"quoted\" — ünïcode")],
                [.integer(.min), .real(0.25), .text("")],
                [.null, .real(2), .text("a")],
                [.integer(1), .null, .text("b")],
                [.integer(2), .real(3), .null],
                [.null, .null, .null],
            ]
            let read = try await store.write { db in
                try await db.execute("CREATE TABLE t (k SERIAL PRIMARY KEY, i BIGINT, r DOUBLE PRECISION, s TEXT)")
                for row in rows { try await db.execute("INSERT INTO t (i, r, s) VALUES (?, ?, ?)", SQLArguments(row)) }
                return try await db.fetchAll("SELECT i, r, s FROM t ORDER BY k")
            }
            #expect(read.map { [$0.columns["i"], $0.columns["r"], $0.columns["s"]] } == rows.map { $0.map(Optional.some) })
            // NULL is also accepted where only the comparison tells its type.
            let matches = try await store.read { db in try await db.scalar("SELECT count(*) AS n FROM t WHERE i IS NOT DISTINCT FROM ?", [nil], as: Int.self) }
            #expect(matches == 2)
        }
    }

    @Test func resultTypesAreNormalised() async throws {
        try await TestDatabase.withStore { store in
            let row = try await store.read { db in
                try await db.fetchOne("""
                    SELECT true AS yes, false AS no, 7::int2 AS small, 8::int4 AS medium, 9::int8 AS large,
                           sum(x) AS total, 2.5::numeric AS fraction, 0.5::real AS single, 'v'::varchar AS varying,
                           NULL::bigint AS nothing, ? AS bound
                    FROM (VALUES (1::bigint), (2::bigint)) AS v(x)
                    """, [Int64(42)])
            }
            #expect(try #require(row).columns == [
                "yes": .integer(1), "no": .integer(0), "small": .integer(7), "medium": .integer(8), "large": .integer(9),
                "total": .integer(3), "fraction": .real(2.5), "single": .real(0.5), "varying": .text("v"),
                "nothing": .null, "bound": .integer(42),
            ])
        }
    }

    @Test func unreadableResultTypeIsAClearError() async throws {
        try await TestDatabase.withStore { store in
            let error = await TestDatabase.errorText { try await store.read { db in try await db.fetchAll("SELECT now() AS at") } }
            #expect(error?.contains("'at' has PostgreSQL type") == true, "\(error ?? "no error")")
        }
    }

    @Test func executeReturnsAffectedRows() async throws {
        try await TestDatabase.withStore { store in
            let counts = try await store.write { db in
                try await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, flag INTEGER NOT NULL)")
                return [
                    try await db.execute("INSERT INTO t (id, flag) VALUES (1, 0), (2, 0), (3, 1)"),
                    try await db.execute("INSERT INTO t (id, flag) VALUES (?, 0) ON CONFLICT (id) DO NOTHING", [Int64(1)]),
                    try await db.execute("UPDATE t SET flag = 1 WHERE flag = ?", [Int64(0)]),
                    try await db.execute("UPDATE t SET flag = 2 WHERE id > ?", [Int64(99)]),
                    try await db.execute("DELETE FROM t WHERE id <> ?", [Int64(2)]),
                ]
            }
            #expect(counts == [3, 0, 2, 0, 2])
        }
    }

    @Test func bodyErrorRollsBackAndIsRethrownUnchanged() async throws {
        try await TestDatabase.withStore { store in
            try await store.write { db in _ = try await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)") }
            await #expect(throws: JobQueueError.notFound(id: "x")) {
                try await store.write { db in
                    try await db.execute("INSERT INTO t (id) VALUES (1)")
                    throw JobQueueError.notFound(id: "x")
                }
            }
            await #expect(try store.read { db in try await db.scalar("SELECT count(*) FROM t", as: Int.self) } == 0)
        }
    }

    @Test func sqlErrorsCarryMessageAndSQLStateAndLeaveThePoolUsable() async throws {
        try await TestDatabase.withStore(poolSize: 1) { store in
            try await store.write { db in _ = try await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)") }
            let error = await TestDatabase.errorText {
                try await store.write { db in
                    try await db.execute("INSERT INTO t (id) VALUES (1)")
                    try await db.execute("INSERT INTO t (id) VALUES (1)")
                }
            }
            #expect(error?.contains("duplicate key") == true && error?.contains("SQLSTATE 23505") == true, "\(error ?? "no error")")
            // The one connection went back to the pool rolled back, not stuck in the failed transaction.
            await #expect(try store.write { db in try await db.execute("INSERT INTO t (id) VALUES (1)") } == 1)
        }
    }

    @Test func aSwallowedStatementErrorStillFailsTheTransaction() async throws {
        try await TestDatabase.withStore { store in
            try await store.write { db in _ = try await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)") }
            let error = await TestDatabase.errorText {
                try await store.write { db in
                    try await db.execute("INSERT INTO t (id) VALUES (5)")
                    _ = try? await db.execute("INSERT INTO t (id) VALUES (5)")  // PostgreSQL aborts the transaction here
                }
            }
            #expect(error?.contains("SQLSTATE 23505") == true, "\(error ?? "no error")")
            await #expect(try store.read { db in try await db.scalar("SELECT count(*) FROM t", as: Int.self) } == 0)
        }
    }

    @Test func readTransactionsAreReadOnly() async throws {
        try await TestDatabase.withStore { store in
            let error = await TestDatabase.errorText { try await store.read { db in try await db.execute("CREATE TABLE t (id INTEGER)") } }
            #expect(error?.contains("SQLSTATE 25006") == true, "\(error ?? "no error")")
        }
    }

    @Test func aForcedSerializationConflictIsRetried() async throws {
        try await TestDatabase.withStore { store in
            try await store.write { db in
                try await db.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)")
                try await db.execute("INSERT INTO counter VALUES (1, 0)")
            }
            let attempts = Mutex(0)
            try await store.write { db in
                let attempt = attempts.withLock { $0 += 1; return $0 }
                let n = try #require(try await db.scalar("SELECT n FROM counter WHERE id = 1", as: Int64.self))
                if attempt == 1 {
                    // Another transaction commits a change to the row this one has read: its UPDATE must fail 40001.
                    try await store.transaction(begin: "BEGIN ISOLATION LEVEL SERIALIZABLE") { other in
                        _ = try await other.execute("UPDATE counter SET n = n + 1 WHERE id = 1")
                    }
                }
                try await db.execute("UPDATE counter SET n = ? WHERE id = 1", [n + 1])
            }
            #expect(attempts.withLock { $0 } == 2)
            await #expect(try store.read { db in try await db.scalar("SELECT n FROM counter", as: Int64.self) } == 2)
        }
    }

    @Test func concurrentReadThenWriteIncrementsAreSerializable() async throws {
        try await TestDatabase.withStore { store in
            try await store.write { db in
                try await db.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)")
                try await db.execute("INSERT INTO counter VALUES (1, 0)")
            }
            let failures = await withTaskGroup(of: [String].self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        var failures: [String] = []
                        for _ in 0..<100 {
                            do {
                                try await store.transaction(begin: "BEGIN ISOLATION LEVEL SERIALIZABLE") { db in
                                    let n = try await db.scalar("SELECT n FROM counter WHERE id = 1", as: Int64.self) ?? -1
                                    try await db.execute("UPDATE counter SET n = ? WHERE id = 1", [n + 1])
                                }
                            } catch {
                                failures.append("\(error)")
                            }
                        }
                        return failures
                    }
                }
                return await group.reduce(into: []) { $0 += $1 }
            }
            #expect(failures == [])
            await #expect(try store.read { db in try await db.scalar("SELECT n FROM counter", as: Int64.self) } == 200)
        }
    }

    @Test func skipLockedNeverHandsOneRowToTwoTransactions() async throws {
        try await TestDatabase.withStore { store in
            try await store.write { db in
                try await db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, owner TEXT)")
                try await db.execute("INSERT INTO items (id) SELECT generate_series(1, 40)")
            }
            let claim: @Sendable (String) async throws(JobQueueError) -> Int? = { owner async throws(JobQueueError) in
                try await store.transaction(begin: "BEGIN ISOLATION LEVEL SERIALIZABLE") { db -> Int? in
                    guard let id = try await db.scalar("SELECT id FROM items WHERE owner IS NULL ORDER BY id LIMIT 1" + db.forUpdateSkipLocked(of: "items"),
                                                 as: Int.self) else { return nil }
                    try await db.execute("UPDATE items SET owner = ? WHERE id = ?", [owner, id])
                    return id
                }
            }
            // Deterministic: while one transaction holds row 1, another claiming at the same time gets row 2.
            let (first, second) = try await store.write { db in
                let first = try #require(try await db.scalar("SELECT id FROM items ORDER BY id LIMIT 1" + db.forUpdateSkipLocked(of: "items"), as: Int.self))
                return (first, try await claim("other"))
            }
            #expect(first == 1 && second == 2)
            // Two threads claiming until nothing is left: every row exactly once.
            let all = await withTaskGroup(of: [Int].self) { group in
                for worker in 0..<2 {
                    group.addTask {
                        var ids: [Int] = []
                        while let id = try? await claim("worker\(worker)") { ids.append(id) }
                        return ids
                    }
                }
                return await group.reduce(into: []) { $0 += $1 }
            }
            #expect(all.count == 39 && Set(all) == Set((1...40).filter { $0 != 2 }))
            await #expect(try store.read { db in try await db.scalar("SELECT count(*) FROM items WHERE owner IS NULL", as: Int.self) } == 0)
        }
    }
}
