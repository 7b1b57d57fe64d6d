import Core
import Annotations
import ArgumentParser
import Foundation
import JobQueue

struct JobsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Jobs, newest first, one page at a time.",
        discussion: """
            When there are more, the cursor of the next page is printed on stderr.

            Examples:
              medinfer jobs list --status queued
              medinfer jobs list --limit 50 --cursor 120 --json
            """
    )

    @Option(help: "Only jobs in this state: \(JobState.allCases.map(\.rawValue).joined(separator: ", ")).")
    var status: String?

    func validate() throws {
        if let status, JobState(rawValue: status) == nil {
            throw ValidationError("--status: expected one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    @Option(help: "Jobs per page (1...1000).")
    var limit = 20

    @Option(help: "Start after this cursor (printed by the previous page).")
    var cursor: String?

    @Flag(help: "Print a JSON array of jobs.")
    var json = false

    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let page = try await backend.open().list(state: status.flatMap(JobState.init(rawValue:)), limit: limit, cursor: cursor)
        if json {
            try printJSON(page.jobs)
        } else {
            var rows = [["ID", "STATUS", "PRIORITY", "IMAGES", "MODEL", "CREATED"]]
            for j in page.jobs {
                let done = j.images.filter { $0.status.isTerminal }.count
                rows.append([j.id, j.status.rawValue, String(j.priority), "\(done)/\(j.images.count)",
                             "\(j.model.name):\(j.model.version)", j.createdAt])
            }
            printTable(rows)
        }
        if let next = page.nextCursor {
            FileHandle.standardError.write(Data("more: --cursor \(next)\n".utf8))
        }
    }
}

struct JobsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "One job: state, queue position, model, attempts and each image's state.",
        discussion: """
            Example:
              medinfer jobs show 3f2a9c7e-... --json
            """
    )

    @Argument(help: "The job id.")
    var id: String

    @Flag(help: "Print the job as JSON (as GET /v1/jobs/{id}).")
    var json = false

    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let job = try await backend.open().status(id)
        if json { try printJSON(job) } else { printJob(job) }
    }
}

struct JobsWatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follows a job until it is done, printing each change.",
        discussion: """
            Exit code 0 when the job succeeded, 1 when it failed or was cancelled.

            Example:
              medinfer jobs watch 3f2a9c7e-...
            """
    )

    @Argument(help: "The job id.")
    var id: String

    @Option(help: "Milliseconds between looks.")
    var intervalMs = 200

    @Flag(help: "Print the final job as JSON.")
    var json = false

    @OptionGroup var backend: BackendOptions

    func validate() throws {
        guard intervalMs >= 10 else { throw ValidationError("--interval-ms must be at least 10") }
    }

    func run() async throws {
        let source = try await backend.open()
        var last = ""
        while true {
            let job = try await source.status(id)
            let line = progressLine(job)
            if line != last && !json {
                print(line)
                fflush(nil)
            }
            last = line
            if job.status.isTerminal {
                if json { try printJSON(job) }
                if job.status != .succeeded { throw CLIError(message: "job \(id) \(job.status.rawValue)", exitCode: 1) }
                return
            }
            try await Task.sleep(for: .milliseconds(intervalMs))
        }
    }

    func progressLine(_ job: JobStatus) -> String {
        let done = job.images.filter { $0.status.isTerminal }.count
        var line = "\(job.status.rawValue) \(done)/\(job.images.count) images"
        if let p = job.queuePosition { line += ", \(p) job\(p == 1 ? "" : "s") ahead" }
        if let e = job.error { line += ": \(e)" }
        return line
    }
}

/// The key-value view of `jobs show`.
func printJob(_ job: JobStatus) {
    print("id          \(job.id)")
    print("status      \(job.status.rawValue)" + (job.queuePosition.map { " (\($0) ahead)" } ?? ""))
    print("model       \(job.model.name):\(job.model.version) sha256 \(job.model.sha256)")
    print("priority    \(job.priority)")
    print("created     \(job.createdAt)")
    if let s = job.startedAt { print("started     \(s)") }
    if let f = job.finishedAt { print("finished    \(f)") }
    print("attempts    \(job.attempts)")
    if let k = job.idempotencyKey { print("key         \(k)") }
    if let e = job.error { print("error       \(e)") }
    for i in job.images {
        print("image \(i.index)     \(i.status.rawValue)" + (i.name.map { " \($0)" } ?? "") + (i.error.map { ": \($0)" } ?? ""))
    }
}

/// Left-aligned columns, two spaces apart.
func printTable(_ rows: [[String]]) {
    for line in formatTable(rows) { print(line) }
}

/// The lines of `printTable`.
func formatTable(_ rows: [[String]]) -> [String] {
    guard let first = rows.first else { return [] }
    var widths = [Int](repeating: 0, count: first.count)
    for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
    return rows.map { row in
        row.enumerated().map { i, c in
            i == row.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
}
