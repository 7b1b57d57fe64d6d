import ArgumentParser
import Foundation
import JobQueue

/// `--data-dir` of the job queue, shared by `worker` and the `jobs` subcommands.
struct DataDirOptions: ParsableArguments {
    @Option(help: "The queue's data directory (default: $MEDINFER_DATA_DIR, else ./.medinfer).")
    var dataDir: String?

    var url: URL {
        URL(fileURLWithPath: dataDir ?? ProcessInfo.processInfo.environment["MEDINFER_DATA_DIR"] ?? ".medinfer",
            isDirectory: true)
    }

    /// Opens (creating when needed) the queue.
    func open() throws -> JobQueue {
        // A file-size limit (ulimit -f) must fail the write with EFBIG, reported, not kill the process.
        signal(SIGXFSZ, SIG_IGN)
        do { return try JobQueue(directory: url) } catch { throw error.cli }
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
func queueCall<T>(_ body: () throws(JobQueueError) -> T) throws -> T {
    do { return try body() } catch { throw error.cli }
}

/// Pretty, sorted JSON as the HTTP API sends it.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
