import Core
import Annotations
import ArgumentParser
import Foundation
import JobQueue

struct JobsResultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "result",
        abstract: "The reports of a job's images: a table of top findings, the reports as JSON, or a DICOM SR.",
        discussion: """
            A job still running shows the images done so far. Results are a decision aid, not a diagnosis.

            Examples:
              medinfer jobs result 3f2a9c7e-...
              medinfer jobs result 3f2a9c7e-... --format json
              medinfer jobs result 3f2a9c7e-... --overlay-dir overlays/
              medinfer jobs result 3f2a9c7e-... --format sr --output results/
            """
    )


    @Argument(help: "The job id.")
    var id: String

    @Option(help: "table, json (an array of reports), or sr (one DICOM Comprehensive 3D SR of the job; needs --output).")
    var format: OutputFormat = .table

    @Option(help: "With --format sr: the file to write, or a folder (then <folder>/<job id>.sr.dcm).")
    var output: String?

    @OptionGroup var overlays: OverlayDirOptions

    @OptionGroup var backend: BackendOptions

    func validate() throws {
        if format == .sr && output == nil { throw ValidationError("--format sr needs --output FILE or --output DIR") }
        if format != .sr && output != nil { throw ValidationError("--output is for --format sr") }
        if format == .sr && overlays.overlayDir != nil { throw ValidationError("--overlay-dir is for --format table or json") }
    }

    func run() async throws {
        let source = try await backend.open()
        let result = try await source.result(id)
        if result.reports.isEmpty && !result.job.status.isTerminal {
            throw CLIError(message: "job \(id) is \(result.job.status.rawValue); no results yet", exitCode: 1)
        }
        switch format {
        case .document(.sr):
            await print(try writeStructuredReport(source))
        case .document(.json):
            try await printJSON(try overlays.export(result.reports, of: result.job.id, from: source))
        case .table:
            // With --overlay-dir, a last column names each image's written overlay file.
            let withOverlays = overlays.overlayDir != nil
            let reports = try await overlays.export(result.reports, of: result.job.id, from: source)
            var rows = [["IMAGE", "FILE", "MODALITY", "TOP FINDING", "PROBABILITY", "FLAG", "WARNINGS"] + (withOverlays ? ["OVERLAY"] : [])]
            for r in reports {
                let top = r.topFinding
                var row = [String(r.image), r.source.path ?? "-", r.source.modality ?? "-", top?.label ?? "-",
                           top.map { String(format: "%.4f", $0.probability) } ?? "-",
                           top.map { $0.positive ? "positive" : "-" } ?? "-",
                           r.warnings.isEmpty ? "-" : r.warnings.joined(separator: "; ")]
                if withOverlays { row.append(r.overlays.first?.path ?? "-") }
                rows.append(row)
            }
            for i in result.job.images where i.status != .succeeded {
                rows.append([String(i.index), i.name ?? "-", "-", i.status.rawValue, "-", "-", i.error ?? "-"] + (withOverlays ? ["-"] : []))
            }
            printTable(rows)
            print("\nmodel \(result.job.model.name):\(result.job.model.version) sha256 \(result.job.model.sha256)")
            print("Results are a \(Report.disclaimer).")
        }
    }
}
