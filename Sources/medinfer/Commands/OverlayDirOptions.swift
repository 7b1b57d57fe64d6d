import Annotations
import ArgumentParser
import Foundation
import JobQueue

/// `--overlay-dir DIR` of `review show` and `jobs result`: the stored overlays as files a clinician can open.
struct OverlayDirOptions: ParsableArguments {
    @Option(help: "Write each image's stored overlay to DIR/<job id>-<image>.overlay.png and show those paths instead of the API's.")
    var overlayDir: String?

    /// `reports` (of `job`) as given without `--overlay-dir`. With it, writes each report's stored overlay
    /// (`JobsBackend.overlay`: the queue's artifact, or GET .../overlay.png) atomically to `DIR/<job id>-<image>.overlay.png`, creating DIR when needed, and
    /// returns the reports with each overlay's `path` the written file. Reports without overlays write nothing.
    func export(_ reports: [Report], of job: String, from source: any JobsBackend) async throws -> [Report] {
        guard let overlayDir else { return reports }
        let directory = URL(fileURLWithPath: overlayDir, isDirectory: true)
        var created = false
        var exported: [Report] = []
        for report in reports {
            guard !report.overlays.isEmpty else {
                exported.append(report)
                continue
            }
            if !created {
                do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
                    throw CLIError.input(directory.path, "cannot create the overlay directory: \((error as NSError).localizedDescription)")
                }
                created = true
            }
            let png = try await source.overlay(job: job, image: report.image)
            let file = directory.appendingPathComponent("\(job)-\(report.image).overlay.png")
            do { try png.write(to: file, options: .atomic) } catch {
                throw CLIError.input(file.path, "cannot write the overlay: \((error as NSError).localizedDescription)")
            }
            var local = report
            for i in local.overlays.indices { local.overlays[i].path = file.path }
            exported.append(local)
        }
        return exported
    }
}
