import ArgumentParser
import Foundation
import JobQueue
import Server

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "API keys and their roles (submitter, reviewer, admin).",
        discussion: """
            Keys live in the queue's database (--database; every node sharing it shares the keys) as SHA-256 \
            hashes; a new key is printed once. Creations and revocations are appended to the audit trail in \
            the same transaction (key id, name and role; never the key or its hash), see `medinfer audit list`. \
            An old <data-dir>/keys.sqlite is imported into an empty database and renamed keys.sqlite.imported.

            Examples:
              medinfer keys create --role submitter --name ris-router
              medinfer keys list --json
              medinfer keys revoke 3f9a1c0b2d4e
            """,
        subcommands: [KeysCreateCommand.self, KeysListCommand.self, KeysRevokeCommand.self]
    )
}

/// Opens the keys of the queue (`--database`, `--data-dir`), importing an old `<data-dir>/keys.sqlite` first.
func openKeys(_ data: DataDirOptions) async throws -> APIKeyStore {
    let keys = APIKeyStore(queue: try await data.open())
    let legacy: LegacyKeyImport
    do { legacy = try await keys.importLegacyKeys(from: data.url) } catch { throw error.cli }
    if legacy != .noFile { FileHandle.standardError.write(Data("medinfer: \(legacy)\n".utf8)) }
    return keys
}

struct KeysCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Creates a key and prints it (only this once).",
        discussion: "Example:\n  medinfer keys create --role reviewer --name dr-smith")

    @Option(help: "submitter, reviewer or admin.")
    var role: String

    @Option(help: "A label for the key (1 to 100 characters).")
    var name: String

    @Flag(help: "Print the key and its record as JSON.")
    var json = false

    @OptionGroup var data: DataDirOptions

    func validate() throws {
        guard Role(rawValue: role) != nil else { throw ValidationError("--role must be submitter, reviewer or admin") }
    }

    func run() async throws {
        let store = try await openKeys(data)
        let created: (key: String, record: APIKeyRecord)
        do { created = try await store.create(name: name, role: Role(rawValue: role)!) } catch { throw error.cli }
        if json {
            struct Created: Encodable { var key: String; var record: APIKeyRecord }
            try printJSON(Created(key: created.key, record: created.record))
        } else {
            print(created.key)
        }
    }
}

struct KeysListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Lists keys (id, role, name, created, revoked); never the secrets.",
        discussion: "Example:\n  medinfer keys list")

    @Flag(help: "Print a JSON array.")
    var json = false

    @OptionGroup var data: DataDirOptions

    func run() async throws {
        let keys: [APIKeyRecord]
        let store = try await openKeys(data)
        do { keys = try await store.list() } catch { throw CLIError.internal(error.description) }
        if json { return try printJSON(keys) }
        for k in keys {
            print([k.id, k.role.rawValue, k.name, k.createdAt, k.revokedAt.map { "revoked \($0)" } ?? "active"]
                .joined(separator: "  "))
        }
    }
}

struct KeysRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revokes a key by id: it authenticates no more.",
        discussion: "Example:\n  medinfer keys revoke 3f9a1c0b2d4e")

    @Argument(help: "The key's id (as `keys list` shows it).")
    var id: String

    @OptionGroup var data: DataDirOptions

    func run() async throws {
        let store = try await openKeys(data)
        do { try await store.revoke(id: id) } catch { throw error.cli }
    }
}

extension APIKeyError {
    /// Exit code 2 for our failures (the database), 1 for the user's (unknown id, bad name).
    var cli: CLIError {
        switch self {
        case .storage: .internal(description)
        case .notFound, .invalidName: CLIError(message: description, exitCode: 1)
        }
    }
}
