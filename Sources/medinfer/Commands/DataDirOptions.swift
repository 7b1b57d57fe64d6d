import ArgumentParser
import Foundation
import JobQueue
import Server

/// Where the job queue lives (`--data-dir`, `--database`, `--blob-dir`), shared by `serve`, `worker` and
/// every command that opens the queue itself.
struct DataDirOptions: ParsableArguments {
    @Option(help: "The queue's data directory (default: $MEDINFER_DATA_DIR, else ./.medinfer).")
    var dataDir: String?

    @Option(help: ArgumentHelp("The queue's database: sqlite (embedded in the data directory) or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (default: $MEDINFER_DATABASE, else sqlite).",
                               valueName: "url"))
    var database: String?

    @Option(help: "The blob directory (images, reports), shared by every node (default: $MEDINFER_BLOB_DIR, else <data-dir>/blobs).")
    var blobDir: String?

    var url: URL {
        URL(fileURLWithPath: dataDir ?? ProcessInfo.processInfo.environment["MEDINFER_DATA_DIR"] ?? ".medinfer",
            isDirectory: true)
    }

    /// The flags, else their `MEDINFER_*` variables; a malformed database URL is refused without echoing it.
    func location() throws -> QueueLocation {
        let environment = ProcessInfo.processInfo.environment
        let database: QueueDatabase
        do { database = try QueueDatabase(parsing: self.database ?? environment["MEDINFER_DATABASE"]) } catch {
            throw CLIError(message: error.description, exitCode: 1)
        }
        let blobs = (blobDir ?? environment["MEDINFER_BLOB_DIR"]).flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0, isDirectory: true) }
        return QueueLocation(dataDirectory: url, database: database, blobDirectory: blobs)
    }

    /// Opens (creating when needed) the queue.
    func open() async throws -> JobQueue {
        // A file-size limit (ulimit -f) must fail the write with EFBIG, reported, not kill the process.
        signal(SIGXFSZ, SIG_IGN)
        let location = try location()
        do { return try await openQueue(location) } catch { throw error.cli }
    }
}

extension QueueLocationError {
    /// The queue's own errors as `JobQueueError.cli`; a location the user can change: exit code 1.
    var cli: CLIError {
        if case .queue(let error) = self { return error.cli }
        return CLIError(message: description, exitCode: 1)
    }
}

extension JobQueueError {
    /// Exit code 2 for database failures (ours), 1 for everything the user can act on.
    var cli: CLIError {
        if case .database = self { return .internal(description) }
        return CLIError(message: description, exitCode: 1)
    }
}

/// Runs a queue call, translating its error for the terminal.
func queueCall<T>(_ body: () async throws(JobQueueError) -> T) async throws -> T {
    do { return try await body() } catch { throw error.cli }
}

/// Pretty, sorted JSON as the HTTP API sends it.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
