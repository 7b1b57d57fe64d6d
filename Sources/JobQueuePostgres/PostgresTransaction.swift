import Foundation
import JobQueue
import Logging
import PostgresNIO

/// The statements of one PostgreSQL transaction on one leased connection, each awaited in turn.
/// Remembers the first failed statement's SQLSTATE: after any error PostgreSQL aborts the transaction,
/// so the store decides from it whether to rerun the body (40001, 40P01) even if the body swallowed the error.
actor PostgresTransaction: SQLTransaction {
    let connection: PostgresConnection
    let location: String
    let logger: Logger
    private(set) var firstFailure: (sqlState: String?, error: JobQueueError)?

    init(connection: PostgresConnection, location: String, logger: Logger) {
        self.connection = connection
        self.location = location
        self.logger = logger
    }

    nonisolated var dialect: SQLDialect { .postgres }

    /// The transaction failed in a way a rerun can cure.
    var isRetryable: Bool { PostgresErrors.isRetryable(sqlState: firstFailure?.sqlState) }

    @discardableResult
    func execute(_ sql: String, _ arguments: SQLArguments) async throws -> Int {
        try await run(sql, arguments).metadata.rows ?? 0
    }

    func fetchAll(_ sql: String, _ arguments: SQLArguments) async throws -> [SQLRow] {
        try await run(sql, arguments).rows.map { row throws(JobQueueError) in try Self.decode(row) }
    }

    /// Runs one statement (`?` placeholders) and collects its rows and command tag.
    func run(_ sql: String, _ arguments: SQLArguments) async throws(JobQueueError) -> PostgresQueryResult {
        let (text, count) = PostgresSQL.numberPlaceholders(sql)
        guard count == arguments.values.count else {
            throw .database("SQL has \(count) placeholders but \(arguments.values.count) arguments: \(sql)")
        }
        var binds = PostgresBindings(capacity: count)
        for value in arguments.values {
            switch value {
            // Untyped NULL: the server infers the parameter's type from where it is used.
            case .null: binds.appendNull()
            case .integer(let v): binds.append(v)
            case .real(let v): binds.append(v)
            case .text(let v): binds.append(v)
            }
        }
        do {
            return try await connection.query(PostgresQuery(unsafeSQL: text, binds: binds), logger: logger).get()
        } catch {
            let mapped = PostgresErrors.jobQueueError(error, location: location)
            if firstFailure == nil { firstFailure = (PostgresErrors.sqlState(error), mapped) }
            throw mapped
        }
    }

    /// A result row as `SQLValue`s: integers and booleans as `.integer`, `numeric` as `.integer` when
    /// integral (SUM of bigint) and `.real` otherwise, floats as `.real`, character types as `.text`.
    static func decode(_ row: PostgresRow) throws(JobQueueError) -> SQLRow {
        var columns: [String: SQLValue] = [:]
        for cell in row {
            let value: SQLValue?
            do { value = try Self.value(of: cell) } catch { value = nil }
            guard let value else {
                throw .database("result column '\(cell.columnName)' has PostgreSQL type \(cell.dataType), which the queue does not read; "
                                + "cast it to bigint, double precision or text")
            }
            columns[cell.columnName] = value
        }
        return SQLRow(columns: columns)
    }

    /// nil for a type the queue never reads.
    private static func value(of cell: PostgresCell) throws -> SQLValue? {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .float4: return .real(Double(try cell.decode(Float.self)))
        case .float8: return .real(try cell.decode(Double.self))
        case .numeric:
            let text = try cell.decode(Decimal.self).description
            if let integer = Int64(text) { return .integer(integer) }
            return Double(text).map { .real($0) }
        case .text, .varchar, .bpchar, .name: return .text(try cell.decode(String.self))
        default: return nil
        }
    }
}
