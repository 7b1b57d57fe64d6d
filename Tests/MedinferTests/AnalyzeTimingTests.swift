import Foundation
import TestSupport
import Testing

/// `medinfer analyze --repeat N --timing` (hidden; Benchmarks/e2e): the files are analysed N times and each
/// batch's decode-to-report time is printed on stderr. No speed is asserted, only that the figures are there.
@Suite struct AnalyzeTimingTests {
    @Test func repeatsAndReportsEveryBatch() throws {
        let dir = CLI.temporaryFile("scans")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let (png, _) = try AnalyzeOverlayTests.discPNG()
        for name in ["a.png", "b.png", "c.png"] { try png.write(to: dir.appendingPathComponent(name)) }
        let r = try CLI.run(["analyze", dir.path, "--models-dir", AnalyzeOverlayTests.models, "--model", "tiny-classifier",
                             "--format", "json", "--batch-size", "2", "--threads", "1", "--repeat", "2", "--timing"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 6, "\(r.stdout)")  // 3 files, twice
        let line = try #require(r.stderr.split(separator: "\n").first { $0.hasPrefix("timing: ") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst("timing: ".count).utf8))
                                  as? [String: Any])
        #expect(object["batch_size"] as? Int == 2 && object["threads"] as? Int == 1)
        let batches = try #require(object["batches"] as? [[String: Any]])
        #expect(batches.map { $0["round"] as? Int } == [0, 0, 1, 1])
        #expect(batches.map { $0["images"] as? Int } == [2, 1, 2, 1])
        #expect(batches.allSatisfy { ($0["ms"] as? Double ?? 0) > 0 }, "\(batches)")
        #expect(r.stderr.hasSuffix("6 analysed, 0 failed\n"), "\(r.stderr)")
    }

    @Test func repeatMustBePositive() throws {
        let r = try CLI.run(["analyze", "SampleImages", "--repeat", "0"])
        #expect(r.status != 0 && r.stderr.contains("--repeat must be at least 1"), "\(r.stderr)")
    }
}
