import Core
import ArgumentParser
import DICOM
import Foundation
import Imaging
import Models
import Annotations
import Pipeline

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse scans locally with a model of the repository: findings with their provenance.",
        discussion: """
            FILE|DIR: PNG, JPEG or DICOM files; folders are walked for .png, .jpg, .jpeg, .dcm and DICOM \
            files without an extension. Images are run through the model in batches. A file that cannot be \
            analysed is reported on stderr and the rest go on; the summary ("n analysed, m failed") goes to \
            stderr and the exit code is 1 if any failed.
            The model defaults to the first model of the repository (its active version). Each report names \
            the model version and the SHA-256 of its weights. Results are a decision aid, not a diagnosis.

            Examples:
              medinfer analyze SampleImages/
              medinfer analyze scan.dcm --model brain-mri-tumor:1 --format json
              medinfer analyze scans/ --overlay --output-dir out/
              medinfer analyze scan.dcm --format sr --output-dir results/
            """
    )

    /// `ModelManifest.HeatmapMethod`'s values (a local type: a conformance of the library's would be public).
    enum Heatmap: String, ExpressibleByArgument, CaseIterable { case auto, cam, occlusion, off = "none" }

    @Argument(help: "Image files or folders.")
    var paths: [String]

    @Option(help: "NAME[:VERSION] of the model (default: the repository's first model, active version).")
    var model: String?

    @Option(help: "Output: table, json (one report per line), or sr (a DICOM SR per image in --output-dir, paths printed).")
    var format: OutputFormat = .table

    @OptionGroup var repository: RepositoryOptions

    // Optional, so that the help shows no machine-dependent default (the help text is pinned in tests).
    @Option(name: .customLong("threads"), help: "Engine threads (default: the number of cores, at most 4).")
    var threadCount: Int?
    var threads: Int { threadCount ?? min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 4) }

    @Option(help: "Images per engine batch.")
    var batchSize: Int = 8

    @Option(help: "Also write each report as DIR/<file name>.report.json (with --format sr: DIR/<file name>.sr.dcm instead).")
    var outputDir: String?

    @Flag(help: """
        Write DIR/<file name>.overlay.png (needs --output-dir): the windowed image with the classifier's \
        heatmap or the segmentation mask's contour; the report's "overlays" lists it.
        """)
    var overlay = false

    @Option(help: """
        Classifier heatmap for --overlay: auto (class activation map when the model's graph allows one), cam, \
        occlusion (any classifier, one extra run per cell of an 8x8 grid: slower) or none. Default: the manifest's.
        """)
    var heatmap: Heatmap?

    // Benchmark options (Benchmarks/e2e), hidden from the help: analyse the files --repeat times, print each
    // batch's decode-to-report time on stderr (--timing).
    @Option(name: .customLong("repeat"), help: .hidden)
    var repeatCount: Int = 1
    @Flag(help: .hidden)
    var timing = false

    func validate() throws {
        guard repeatCount >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        if overlay && outputDir == nil { throw ValidationError("--overlay needs --output-dir DIR (where the PNG files go)") }
        if heatmap != nil && !overlay { throw ValidationError("--heatmap only applies with --overlay") }
        if format == .sr && outputDir == nil { throw ValidationError("--format sr writes files: give --output-dir DIR") }
    }

    func run() throws {
        var failures: [(String, String)] = []
        var files: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                failures.append((path, "no such file or folder"))
                report(path, "no such file or folder")
                continue
            }
            files += isDir.boolValue ? Self.imageFiles(in: path) : [path]
        }
        if let dir = outputDir {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw CLIError(message: "\(dir): cannot create the output folder: \(error.localizedDescription)", exitCode: 1)
            }
        }
        var outputs = OutputFiles(directory: URL(fileURLWithPath: outputDir ?? "."))
        let options = AnalysisOptions(overlays: overlay, heatmap: heatmap.flatMap { .init(rawValue: $0.rawValue) })
        let loaded = try repository.resolve(model, threads: threads)
        let analyzer: Analyzer
        do { analyzer = try Analyzer(model: loaded) } catch { throw CLIError.input("\(loaded.name):\(loaded.version)", error) }

        var reports: [(String, Report)] = []
        let progress = files.count > 1 && isatty(STDERR_FILENO) != 0
        var index = 0
        var timings = BatchTimings(batchSize: batchSize, threads: threads)
        let batchStarts = (0..<repeatCount).flatMap { round in stride(from: 0, to: files.count, by: batchSize).map { (round, $0) } }
        for (round, start) in batchStarts {
            let started = DispatchTime.now().uptimeNanoseconds
            let group = files[start..<min(start + batchSize, files.count)]
            var prepared: [(String, Analyzer.Prepared)] = []
            var sources: [String: DataSet] = [:]  // the SR copies patient and study from the source DICOM
            for file in group {
                // The worker's first stage too (`Analyzer.admit`): decoded once, prepared for the model.
                do {
                    let (scan, ready) = try analyzer.admit(try readScanFile(file), name: file)
                    if format == .sr, let ds = scan.dicom?.dataSet { sources[file] = StructuredReportWriter.sourceAttributes(of: ds) }
                    prepared.append((file, ready))
                } catch let e as CLIError {
                    failures.append((file, e.message))
                    report(nil, e.message)
                } catch ScanRefusal.undecodable(let error) {
                    let message = CLIError.input(file, error).message
                    failures.append((file, message))
                    report(nil, message)
                } catch ScanRefusal.refused(let error) {
                    failures.append((file, "\(error)"))
                    report(error.file == nil ? file : nil, "\(error)")
                } catch {
                    failures.append((file, "\(error)"))
                    report(file, "\(error)")
                }
            }
            if !prepared.isEmpty {
                do {
                    let batch = try analyzer.analyses(prepared.map(\.1), firstIndex: index, options: options)
                    index += batch.count
                    for (file, a) in zip(prepared.map(\.0), batch) {
                        var r = a.report
                        if outputDir != nil {
                            let base = outputs.base(for: file, image: r.image)
                            do {
                                // The workers' encoding (`Analysis.encoded`), the overlay named by its file's path.
                                let (encoded, png) = try a.encoded(overlayPath: outputs.overlayURL(base: base).path)
                                if let png { try outputs.writeOverlay(png, base: base) }
                                r = encoded
                                if format == .sr {
                                    print(try Self.structuredReport(r, source: sources[file], outputs: outputs, base: base))
                                } else {
                                    try outputs.writeReport(r, base: base)
                                }
                            } catch {
                                let message = (error as? CLIError)?.message ?? "\(error)"
                                failures.append((file, message))
                                report(file, message)
                            }
                        }
                        if format == .json { print(try r.jsonLine()) }
                        reports.append((file, r))
                    }
                } catch {
                    for (file, _) in prepared {
                        failures.append((file, "\(error)"))
                        report(file, "\(error)")
                    }
                }
            }
            timings.record(round: round, images: prepared.count, since: started)
            if progress {
                let done = min(start + batchSize, files.count)
                FileHandle.standardError.write(Data("\ranalyse [\(String(repeating: "#", count: done * 20 / files.count).padding(toLength: 20, withPad: " ", startingAt: 0))] \(done)/\(files.count)".utf8))
                if done == files.count { FileHandle.standardError.write(Data("\n".utf8)) }
            }
        }
        if timing { FileHandle.standardError.write(Data("timing: \(try timings.jsonLine())\n".utf8)) }
        if format == .table { printTable(reports) }
        fflush(nil)
        var summary = "\(reports.count) analysed, \(failures.count) failed"
        if files.isEmpty && failures.isEmpty { summary += " (no images found)" }
        if !failures.isEmpty {
            throw CLIError(message: summary, exitCode: 1)
        }
        FileHandle.standardError.write(Data("\(summary)\n".utf8))
    }

    func report(_ file: String?, _ problem: String) {
        FileHandle.standardError.write(Data("medinfer: \(file.map { "\($0): " } ?? "")\(problem)\n".utf8))
    }

    /// Image files under `folder`, sorted: known extensions, and extensionless DICOM files (`DICM` at 128).
    static func imageFiles(in folder: String) -> [String] {
        guard let all = try? FileManager.default.subpathsOfDirectory(atPath: folder) else { return [] }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        var out: [String] = []
        for rel in all where !rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
            let path = prefix + rel
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { continue }
            let ext = URL(fileURLWithPath: rel).pathExtension.lowercased()
            if ["png", "jpg", "jpeg", "dcm"].contains(ext) || (ext.isEmpty && isDICOM(URL(fileURLWithPath: path))) {
                out.append(path)
            }
        }
        return out.sorted()
    }

    static func isDICOM(_ url: URL) -> Bool {
        guard let h = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? h.close() }
        guard let d = try? h.read(upToCount: 132), d.count == 132 else { return false }
        return d.suffix(4) == Data("DICM".utf8)
    }

    func printTable(_ reports: [(String, Report)]) {
        let header = ["FILE", "MODALITY", "TOP FINDING", "PROBABILITY", "THRESHOLD", "FLAG", "WARNINGS", "MODEL"]
        var rows = [header]
        for (file, r) in reports {
            let top = r.topFinding
            rows.append([
                file, r.source.modality ?? "-", top?.label ?? "-",
                top.map { String(format: "%.4f", $0.probability) } ?? "-",
                top.map { String(format: "%.2f", $0.threshold) } ?? "-",
                top.map { $0.positive ? "positive" : "-" } ?? "-",
                r.warnings.isEmpty ? "-" : r.warnings.joined(separator: "; "),
                "\(r.model.name)@\(r.model.version)",
            ])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        for row in rows {
            let line = row.enumerated().map { i, c in
                i == row.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
            print(line)
        }
        if let r = reports.first?.1 {
            print("\nmodel \(r.model.name)@\(r.model.version) sha256 \(r.model.sha256)")
        }
        print("Results are a \(Report.disclaimer).")
    }
}
