import ArgumentParser
import Foundation
import JobQueue

struct ReviewDecideCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide",
        abstract: "Records a verdict on a succeeded job (kept with earlier ones; the latest counts).",
        discussion: """
            The reviewer is --reviewer, else $MEDINFER_REVIEWER; one of them is required. The login name is \
            not used: workstation accounts are often shared, and a verdict must name the clinician. The \
            comment is kept with the verdict; the audit trail records only its SHA-256.

            Examples:
              medinfer review decide 3f2a9c7e-... --agree --reviewer "Dr. A. Jones"
              MEDINFER_REVIEWER=jones medinfer review decide 3f2a... --disagree --comment artefact
            """
    )

    enum Verdict: String, EnumerableFlag {
        case agree, disagree

        static func help(for value: Verdict) -> ArgumentHelp? {
            value == .agree ? "Agree with the findings." : "Disagree with the findings."
        }
    }

    @Argument(help: "The job id.")
    var id: String

    @Flag var verdict: Verdict

    @Option(help: "Free text kept with the verdict.")
    var comment: String?

    @Option(help: "Who decides (default: $MEDINFER_REVIEWER).")
    var reviewer: String?

    @Flag(help: "Print the recorded review as JSON.")
    var json = false

    @OptionGroup var data: DataDirOptions

    func run() throws {
        guard let who = reviewer ?? ProcessInfo.processInfo.environment["MEDINFER_REVIEWER"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw CLIError(message: "who is reviewing? Pass --reviewer NAME or set MEDINFER_REVIEWER", exitCode: 1)
        }
        let queue = try data.open()
        let review = try queueCall { () throws(JobQueueError) in
            try queue.recordReview(job: id, agree: verdict == .agree, comment: comment, reviewer: who)
        }
        if json { return try printJSON(review) }
        print("job \(review.job): \(verdict.rawValue) recorded by \(review.reviewer) (review \(review.id))")
    }
}
