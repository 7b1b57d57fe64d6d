import ArgumentParser
import Foundation
import JobQueue

struct ReviewDecideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide",
        abstract: "Records a verdict on a succeeded job (kept with earlier ones; the latest counts).",
        discussion: """
            Locally the reviewer is --reviewer, else $MEDINFER_REVIEWER; one of them is required. With --server \
            the reviewer is the API key's name (POST /v1/jobs/{id}/reviews, reviewer role) and --reviewer is \
            refused. The login name is not used: workstation accounts are often shared, and a verdict must name the clinician. The \
            comment is kept with the verdict; the audit trail records only its SHA-256.

            Examples:
              medinfer review decide 3f2a9c7e-... --agree --reviewer "Dr. A. Jones"
              MEDINFER_REVIEWER=jones medinfer review decide 3f2a... --disagree --comment artefact
              medinfer review decide 3f2a... --agree --server http://127.0.0.1:8080 --api-key mi_...
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

    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let who: String?
        if backend.isRemote {
            // The server records the API key's name: a name given here could not be checked.
            guard reviewer == nil else {
                throw CLIError(message: "--reviewer is for local mode; with --server the verdict is recorded under the API key's name",
                               exitCode: 1)
            }
            who = nil
        } else {
            who = reviewer ?? ProcessInfo.processInfo.environment["MEDINFER_REVIEWER"].flatMap { $0.isEmpty ? nil : $0 }
        }
        let review = try await backend.open().recordReview(job: id, agree: verdict == .agree, comment: comment, reviewer: who)
        if json { return try printJSON(review) }
        print("job \(review.job): \(verdict.rawValue) recorded by \(review.reviewer) (review \(review.id))")
    }
}
