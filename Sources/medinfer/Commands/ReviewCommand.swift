import Core
import Inference
import Annotations
import ArgumentParser
import Foundation
import JobQueue

struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "The clinician's worklist of finished jobs, their findings, and verdicts on them.",
        discussion: """
            From the worklist to a recorded verdict in three commands (each verdict is also appended to the \
            audit trail, see `medinfer audit`):

            Example:
              medinfer review && medinfer review show 3f2a9c7e-... && \\
                medinfer review decide 3f2a9c7e-... --agree --reviewer "Dr. A. Jones"

            With --server URL --api-key KEY (or MEDINFER_SERVER, MEDINFER_API_KEY) the same commands work \
            against a running server (reviewer role); the reviewer is then the key's name.
            """,
        subcommands: [ReviewListCommand.self, ReviewShowCommand.self, ReviewDecideCommand.self],
        defaultSubcommand: ReviewListCommand.self
    )
}

struct ReviewListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "The worklist (the default): succeeded jobs not yet reviewed, most urgent first.",
        discussion: """
            Order: priority (9 first), then jobs with a positive finding, then oldest first. Positive jobs are \
            shown in colour when stdout is a terminal (not when NO_COLOR is set).

            Examples:
              medinfer review
              medinfer review list --all --json
            """
    )

    @Flag(help: "Include reviewed jobs, with their latest verdict.")
    var all = false

    @Flag(help: "Print a JSON array of worklist items.")
    var json = false

    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let items = try await backend.open().worklist(includeReviewed: all)
        if json { return try printJSON(items) }
        if items.isEmpty { return print(all ? "no succeeded jobs" : "no jobs to review") }
        var rows = [["PRIORITY", "JOB", "MODEL", "IMAGES", "POSITIVE", "TOP FINDING", "CREATED"] + (all ? ["REVIEW"] : [])]
        for item in items {
            let top = item.topFinding.map { "\($0.label) \(String(format: "%.4f", $0.probability))" } ?? "-"
            var row = [String(item.job.priority), item.job.id, "\(item.job.model.name):\(item.job.model.version)",
                       String(item.job.images.count), item.positiveFindings.isEmpty ? "-" : item.positiveFindings.joined(separator: ", "),
                       top, item.job.createdAt]
            if all { row.append(item.latestReview.map { "\($0.agree ? "agree" : "disagree") (\($0.reviewer))" } ?? "-") }
            rows.append(row)
        }
        let style = TerminalStyle.standardOutput
        for (i, line) in formatTable(rows).enumerated() {
            print(i > 0 && !items[i - 1].positiveFindings.isEmpty ? style.alert(line) : line)
        }
        print("\(items.count) job\(items.count == 1 ? "" : "s"); results are a \(Report.disclaimer).")
    }
}
