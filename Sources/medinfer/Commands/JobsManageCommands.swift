import ArgumentParser
import Foundation
import JobQueue

struct JobsCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancels a queued job (a running one finishes).",
        discussion: """
            Example:
              medinfer jobs cancel 3f2a9c7e-...
            """
    )

    @Argument(help: "The job id.")
    var id: String

    @Flag(help: "Print the job as JSON.")
    var json = false

    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let job = try await backend.open().cancel(id)
        if json { try printJSON(job) } else { print("cancelled \(job.id)") }
    }
}

struct JobsPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Deletes finished jobs older than an age, with their images and results.",
        discussion: """
            AGE: a number with s, m, h or d (e.g. 30d, 12h). Queued and running jobs are never pruned. \
            Files no job references any more are removed too.

            Example:
              medinfer jobs prune --older-than 30d
            """
    )

    @Option(help: "Finished more than this long ago: 90s, 30m, 12h, 30d.")
    var olderThan: String

    @OptionGroup var data: DataDirOptions

    func validate() throws {
        guard Self.parseAge(olderThan) != nil else {
            throw ValidationError("--older-than: expected a number with s, m, h or d (e.g. 30d), got '\(olderThan)'")
        }
    }

    static func parseAge(_ text: String) -> Duration? {
        guard let unit = text.last, let n = Int64(text.dropLast()), n >= 0 else { return nil }
        switch unit {
        case "s": return .seconds(n)
        case "m": return .seconds(n * 60)
        case "h": return .seconds(n * 3600)
        case "d": return .seconds(n * 86_400)
        default: return nil
        }
    }

    func run() async throws {
        let queue = try await data.open()
        let summary = try await queueCall { () async throws(JobQueueError) in try await queue.prune(olderThan: Self.parseAge(olderThan)!) }
        print("removed \(summary.jobs) job\(summary.jobs == 1 ? "" : "s")"
              + (summary.files.map { " and \($0) file\($0 == 1 ? "" : "s")" } ?? "; files are removed at the next sweep"))
    }
}
