/// A named schema change that a module above the queue adds to the queue's database (the server's API keys,
/// later an export outbox), applied after the queue's own migrations, in the order given, by whichever
/// store the queue runs on. A migration that has shipped is never edited: change the schema with a new one.
public struct QueueMigration: Sendable {
    /// Recorded once applied (GRDB's `grdb_migrations` on SQLite, `queue_migrations` on PostgreSQL).
    public var name: String
    /// The SQLite statements, as one script.
    public var sqlite: String
    /// The PostgreSQL statements, one per element, column for column the SQLite schema's twin.
    public var postgres: [String]

    public init(name: String, sqlite: String, postgres: [String]) {
        self.name = name
        self.sqlite = sqlite
        self.postgres = postgres
    }
}
