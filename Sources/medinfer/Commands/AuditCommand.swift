import ArgumentParser
import Foundation
import JobQueue

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The hash-chained audit trail: submissions, results, reviews, model activations.",
        discussion: """
            Rows hold ids and hashes only, never patient data. Each row's hash covers its content and the \
            previous row's hash.

            Example:
              medinfer audit verify && medinfer audit list --job 3f2a9c7e-...
            """,
        subcommands: [AuditListCommand.self, AuditVerifyCommand.self]
    )
}

struct AuditListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "The audit rows, oldest first.",
        discussion: """
            Examples:
              medinfer audit list
              medinfer audit list --job 3f2a9c7e-... --json
            """
    )

    @Option(help: "Only the rows of this job.")
    var job: String?

    @Flag(help: "Print a JSON array of rows.")
    var json = false

    @OptionGroup var data: DataDirOptions

    func run() async throws {
        let queue = try await data.open()
        let records = try await queueCall { () async throws(JobQueueError) in try await queue.audit.list(job: job) }
        if json { return try printJSON(records) }
        var rows = [["SEQ", "AT", "KIND", "JOB", "SUBJECT", "HASH", "DETAILS"]]
        for r in records {
            rows.append([String(r.seq), r.at, r.kind.rawValue, r.job ?? "-", r.subject ?? "-", String(r.hash.prefix(12)),
                         r.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")])
        }
        printTable(rows)
    }
}

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Checks the chain; exit 1 naming the first row that was edited, inserted or deleted.",
        discussion: """
            Prints the head hash: kept elsewhere, it also reveals a chain rewritten from the start.

            Example:
              medinfer audit verify
            """
    )

    @OptionGroup var data: DataDirOptions

    func run() async throws {
        let queue = try await data.open()
        let result = try await queueCall { () async throws(JobQueueError) in try await queue.audit.verify() }
        if let problem = result.problem {
            throw CLIError(message: "audit trail broken: \(problem) (\(result.rows) row\(result.rows == 1 ? "" : "s") before it intact)",
                           exitCode: 1)
        }
        print("\(result.rows) row\(result.rows == 1 ? "" : "s"), chain intact")
        print("head \(result.head)")
    }
}
