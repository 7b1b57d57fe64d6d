import Foundation
import Imaging
import Tensor
import TestSupport
import Testing

/// `medinfer analyze --overlay` with the generated tiny models (`Tests/Fixtures/tiny-models`).
@Suite struct AnalyzeOverlayTests {
    static let models = Fixtures.url("tiny-models").path

    /// The classifier's reference input (64×64, values k/255) upscaled 2× as an 8-bit PNG: a bright disc
    /// whose class activation map is known (`tiny-reference/classifier_cam.npy`).
    static func discPNG() throws -> (png: Data, gray: [UInt8]) {
        let input = try Tensor.fixture("tiny-reference/classifier_input.npy").floats()
        var gray = [UInt8](repeating: 0, count: 128 * 128)
        for y in 0..<128 { for x in 0..<128 { gray[y * 128 + x] = UInt8((input[(y / 2) * 64 + x / 2] * 255).rounded()) } }
        return (try PNGEncoder.encode(width: 128, height: 128, channels: 1, pixels: gray), gray)
    }

    static func reports(_ stdout: String) throws -> [[String: Any]] {
        try stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
    }

    @Test func heatmapOverlayIsWrittenAndListed() throws {
        let dir = CLI.temporaryFile("scans"), out = CLI.temporaryFile("out")
        defer { try? FileManager.default.removeItem(at: dir); try? FileManager.default.removeItem(at: out) }
        let (png, gray) = try Self.discPNG()
        for sub in ["a", "b"] {  // the same file name in two folders: distinct outputs
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
            try png.write(to: dir.appendingPathComponent("\(sub)/scan.png"))
        }
        let r = try CLI.run(["analyze", dir.path, "--models-dir", Self.models, "--model", "tiny-classifier",
                             "--overlay", "--output-dir", out.path, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let reports = try Self.reports(r.stdout)
        #expect(reports.count == 2)
        let paths = reports.compactMap { ($0["overlays"] as? [[String: Any]])?.first }.map { $0["path"] as? String ?? "" }
        let kinds = reports.compactMap { ($0["overlays"] as? [[String: Any]])?.first }.map { $0["kind"] as? String ?? "" }
        #expect(kinds == ["heatmap", "heatmap"])
        #expect(paths == [out.appendingPathComponent("scan.png.overlay.png").path,
                          out.appendingPathComponent("1-scan.png.overlay.png").path])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
                == ["scan.png.overlay.png", "scan.png.report.json", "1-scan.png.overlay.png", "1-scan.png.report.json"])
        // The saved report lists the overlay too.
        let saved = try String(contentsOf: out.appendingPathComponent("scan.png.report.json"), encoding: .utf8)
        #expect(saved.contains("\"overlays\":[{\"kind\":\"heatmap\",\"path\":\"\(paths[0])\"}]"), "\(saved)")

        let image = try Imaging.decode(Data(contentsOf: URL(fileURLWithPath: paths[0])))
        #expect(image.rows == 128 && image.columns == 128 && image.samplesPerPixel == 3)
        let rgb = try image.storedFrame(0).doubles(0..<(128 * 128 * 3))
        func pixel(_ y: Int, _ x: Int) -> (r: Double, g: Double, b: Double) {
            let i = 3 * (y * 128 + x)
            return (rgb[i], rgb[i + 1], rgb[i + 2])
        }
        // Hottest and coldest cells of the reference CAM (16×16 cells of 8×8 source pixels): red over blue
        // where the map is hot, blue over red where it is cold, and the gray image changed where it is hot.
        let cam = try Tensor.fixture("tiny-reference/classifier_cam.npy").floats()
        let hot = try #require(cam.indices.max { cam[$0] < cam[$1] })
        let cold = try #require(cam.indices.min { cam[$0] < cam[$1] })
        let (hy, hx) = ((hot / 16) * 8 + 4, (hot % 16) * 8 + 4)
        let h = pixel(hy, hx), c = pixel((cold / 16) * 8 + 4, (cold % 16) * 8 + 4)
        #expect(h.r - h.b > 40, "hot pixel \(h)")
        #expect(c.b - c.r > 20, "cold pixel \(c)")
        let g = Double(gray[hy * 128 + hx])
        #expect(h != (g, g, g))
        var changed = 0
        for i in 0..<(128 * 128) where rgb[3 * i] != Double(gray[i]) || rgb[3 * i + 2] != Double(gray[i]) { changed += 1 }
        #expect(changed > 128 * 128 * 9 / 10)
    }

    @Test func maskOverlayForTheSegmenter() throws {
        let dir = CLI.temporaryFile("scans"), out = CLI.temporaryFile("out")
        defer { try? FileManager.default.removeItem(at: dir); try? FileManager.default.removeItem(at: out) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Self.discPNG().png.write(to: dir.appendingPathComponent("scan.png"))
        let r = try CLI.run(["analyze", dir.appendingPathComponent("scan.png").path, "--models-dir", Self.models,
                             "--model", "tiny-segmenter", "--overlay", "--output-dir", out.path, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try Self.reports(r.stdout).first)
        let overlay = try #require((report["overlays"] as? [[String: Any]])?.first)
        #expect(overlay["kind"] as? String == "mask")
        let finding = try #require((report["findings"] as? [[String: Any]])?.first)
        #expect(finding["label"] as? String == "lesion" && (finding["positivePixels"] as? Int ?? 0) > 0)
        let image = try Imaging.decode(Data(contentsOf: URL(fileURLWithPath: overlay["path"] as? String ?? "")))
        #expect(image.rows == 128 && image.columns == 128 && image.samplesPerPixel == 3)
    }

    @Test func helpNamesOverlayAndHeatmap() throws {
        let r = try CLI.run(["analyze", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("medinfer analyze scans/ --overlay --output-dir out/"), "\(r.stdout)")
        #expect(r.stdout.contains("--heatmap <heatmap>") && r.stdout.contains("occlusion (any classifier"), "\(r.stdout)")
    }

    @Test func overlayWithoutOutputDirIsAUsageError() throws {
        let r = try CLI.run(["analyze", "SampleImages/BrainT1Slice.png", "--models-dir", Self.models, "--overlay"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--overlay needs --output-dir DIR"), "\(r.stderr)")
        let h = try CLI.run(["analyze", "SampleImages/BrainT1Slice.png", "--models-dir", Self.models, "--heatmap", "cam"])
        #expect(h.status == 1 && h.stderr.contains("--heatmap only applies with --overlay"), "\(h.stderr)")
    }

    /// `--heatmap none`: no overlay file, the report lists none.
    @Test func heatmapNoneWritesNoOverlay() throws {
        let dir = CLI.temporaryFile("scans"), out = CLI.temporaryFile("out")
        defer { try? FileManager.default.removeItem(at: dir); try? FileManager.default.removeItem(at: out) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Self.discPNG().png.write(to: dir.appendingPathComponent("scan.png"))
        let r = try CLI.run(["analyze", dir.path, "--models-dir", Self.models, "--model", "tiny-classifier",
                             "--heatmap", "none", "--overlay", "--output-dir", out.path, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try Self.reports(r.stdout).first)
        #expect((report["overlays"] as? [Any])?.isEmpty == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["scan.png.report.json"])
    }

    /// The default model (VGG16: a hidden Dense layer before the last one, no global pooling) has no CAM
    /// head: `auto` says why in the report's warnings and writes no overlay (one VGG16 run, seconds in debug).
    @Test func defaultModelHasNoCAM() throws {
        let out = CLI.temporaryFile("out")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try CLI.run(["analyze", "SampleImages/BrainT1Slice.png", "--overlay", "--output-dir", out.path,
                             "--format", "json", "--threads", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try Self.reports(r.stdout).first)
        #expect((report["overlays"] as? [Any])?.isEmpty == true)
        let warnings = report["warnings"] as? [String] ?? []
        #expect(warnings.contains { $0.hasPrefix("no heatmap: this model has no class activation map (the linear layer reads node ")
                                    && $0.contains("not a global average pooling") }, "\(warnings)")
    }
}
