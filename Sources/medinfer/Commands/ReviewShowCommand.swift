import Core
import Annotations
import ArgumentParser
import Foundation
import JobQueue

struct ReviewShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "A job's findings for review: probability against threshold, warnings, model, preprocessing.",
        discussion: """
            Also shows the weights' SHA-256, overlay paths and every earlier verdict.

            Examples:
              medinfer review show 3f2a9c7e-...
              medinfer review show 3f2a9c7e-... --overlay-dir overlays/
            """
    )

    @Argument(help: "The job id.")
    var id: String

    @Flag(help: "Print {job, reports, reviews} as JSON.")
    var json = false

    @OptionGroup var overlays: OverlayDirOptions

    @OptionGroup var backend: BackendOptions

    struct Shown: Encodable {
        var job: JobStatus
        var reports: [Report]
        var reviews: [Review]
    }

    func run() async throws {
        let source = try await backend.open()
        let result = try await source.result(id)
        let reviews = try await source.reviews(for: id)
        let reports = try await overlays.export(result.reports, of: result.job.id, from: source)
        if json { return try printJSON(Shown(job: result.job, reports: reports, reviews: reviews)) }
        let job = result.job, style = TerminalStyle.standardOutput
        print("job           \(job.id)")
        print("status        \(job.status.rawValue), priority \(job.priority), \(job.images.count) image\(job.images.count == 1 ? "" : "s")")
        print("model         \(job.model.name)@\(job.model.version) weights sha256 \(job.model.sha256)")
        print("created       \(job.createdAt)" + (job.finishedAt.map { ", finished \($0)" } ?? ""))
        for report in reports {
            let s = report.source
            print("\nimage \(report.image)       \(s.path ?? "-") (\(s.format)\(s.modality.map { " \($0)" } ?? "") \(s.columns)x\(s.rows))")
            var rows = [["  LABEL", "PROBABILITY", "THRESHOLD", "FLAG"]]
            for f in report.findings {
                rows.append(["  " + f.label, String(format: "%.4f", f.probability), String(format: "%.4f", f.threshold),
                             f.positive ? "POSITIVE" : "-"])
            }
            for (i, line) in formatTable(rows).enumerated() {
                print(i > 0 && report.findings[i - 1].positive ? style.alert(line) : line)
            }
            let p = report.preprocessing
            let window = p.window.map { "window \($0.map { String(format: "%g", $0) }.joined(separator: "/")), " } ?? ""
            print("  preprocessing  \(window)\(p.resize.map { "resize \($0), " } ?? "")normalize \(p.normalize)")
            print("  warnings       " + (report.warnings.isEmpty ? "none" : report.warnings.joined(separator: "; ")))
            print("  overlays       " + (report.overlays.isEmpty ? "none" : report.overlays.map { "\($0.kind) \($0.path)" }.joined(separator: ", ")))
        }
        for image in job.images where image.status != .succeeded {
            print("\nimage \(image.index)       \(image.name ?? "-"): \(image.status.rawValue)" + (image.error.map { ": \($0)" } ?? ""))
        }
        print("")
        if reviews.isEmpty { print("reviews       none") }
        for (i, r) in reviews.enumerated() {
            let label = i == 0 ? "reviews      " : "             "
            print("\(label) \(r.createdAt) \(style.strong(r.agree ? "agree" : "disagree")) by \(r.reviewer)"
                  + (r.comment.map { ": \($0)" } ?? "") + (i == reviews.count - 1 && reviews.count > 1 ? " (latest)" : ""))
        }
        print("Results are a \(Report.disclaimer).")
    }
}
