import Foundation
import Tensor
import TestSupport
import Testing

/// `medinfer analyze` with the shipped default model on a folder of two sample images (kept small: VGG16
/// takes seconds per image in debug builds).
@Suite struct AnalyzeCommandTests {
    static let sha = "3be917fb4375d2d57d65f43eb28ab669387c00306bbe407c5aaf78fb5de3ab49"

    /// A temporary folder with copies of `names` (and `extra` files with the given contents).
    static func folder(_ names: [String], extra: [String: Data] = [:]) throws -> URL {
        let dir = CLI.temporaryFile("scans")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for n in names {
            try FileManager.default.copyItem(at: Fixtures.packageRoot.appendingPathComponent("SampleImages/\(n)"),
                                             to: dir.appendingPathComponent(n))
        }
        for (n, d) in extra { try d.write(to: dir.appendingPathComponent(n)) }
        try Data("not an image".utf8).write(to: dir.appendingPathComponent("notes.txt"))  // not walked
        return dir
    }

    @Test func tableOfAFolder() throws {
        let dir = try Self.folder(["BrainT1Slice.png", "CT_small.dcm"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["analyze", dir.path, "--threads", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first?.hasPrefix("FILE") == true)
        #expect(lines.first?.contains("MODALITY  TOP FINDING  PROBABILITY  THRESHOLD  FLAG") == true, "\(r.stdout)")
        let t1 = try #require(lines.first { $0.contains("BrainT1Slice.png") })
        #expect(t1.contains("brain-mri-tumor@1") && t1.contains("modality unknown"), "\(t1)")
        let ct = try #require(lines.first { $0.contains("CT_small.dcm") })
        #expect(ct.contains(" CT ") && ct.contains("modality CT is not among the model's accepted modalities [MR]"), "\(ct)")
        #expect(r.stdout.contains("sha256 \(Self.sha)"))
        #expect(r.stdout.contains("decision aid, not a diagnosis"))
        #expect(!r.stdout.contains("notes.txt"))
        #expect(r.stderr.hasSuffix("2 analysed, 0 failed\n"), "\(r.stderr)")
    }

    @Test func jsonLinesAndABadFile() throws {
        let dir = try Self.folder(["ch2_axial.jpg"], extra: ["broken.dcm": Data(repeating: 7, count: 300)])
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = CLI.temporaryFile("reports")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try CLI.run(["analyze", dir.path, "--format", "json", "--model", "brain-mri-tumor:1", "--threads", "2",
                             "--output-dir", out.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("broken.dcm: "), "\(r.stderr)")
        #expect(r.stderr.hasSuffix("medinfer: 1 analysed, 1 failed\n"), "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 1, "\(r.stdout)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let model = try #require(object["model"] as? [String: Any])
        #expect(model["sha256"] as? String == Self.sha && model["version"] as? String == "1")
        let source = try #require(object["source"] as? [String: Any])
        #expect(source["format"] as? String == "jpeg" && (source["path"] as? String)?.hasSuffix("ch2_axial.jpg") == true)
        let findings = try #require(object["findings"] as? [[String: Any]])
        let ref = try Tensor.fixture("default-model/ch2_axial.jpg.probs.npy").doubles()
        let labels = ["glioma", "meningioma", "notumor", "pituitary"]
        for f in findings {
            let i = try #require(labels.firstIndex(of: f["label"] as? String ?? ""))
            #expect(abs((f["probability"] as? Double ?? -1) - ref[i]) <= 1e-4)
        }
        #expect(object["overlays"] as? [Any] != nil && object["disclaimer"] as? String == "decision aid, not a diagnosis")
        // --output-dir: the same report as a file, nothing for the broken one.
        let saved = try String(contentsOf: out.appendingPathComponent("ch2_axial.jpg.report.json"), encoding: .utf8)
        #expect(saved == lines[0] + "\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["ch2_axial.jpg.report.json"])
    }
}
