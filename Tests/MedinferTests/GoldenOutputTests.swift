import Foundation
import TestSupport
import Testing

/// The exact text of `medinfer analyze --help`, `medinfer models --help` and of the analyze table on fixed
/// sample images, against the files in `Tests/Fixtures/cli-golden/` (how to regenerate them: the
/// README there). Nothing that varies between runs (durations, dates, temporary paths) is in them.
@Suite struct GoldenOutputTests {
    static let folder = Fixtures.packageRoot.appendingPathComponent("Tests/Fixtures/cli-golden")
    /// Help text is wrapped to the terminal width: fixed here, whatever the caller's terminal says.
    static let environment = ["COLUMNS": "80", "LINES": "24"]

    /// Compares `actual` with the golden file `name`, or rewrites the file when `MEDINFER_UPDATE_GOLDEN=1`.
    static func check(_ actual: String, _ name: String) throws {
        let url = folder.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["MEDINFER_UPDATE_GOLDEN"] == "1" {
            try Data(actual.utf8).write(to: url)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(actual == expected, """
            \(name) differs from the golden file (if the change is intended: \
            MEDINFER_UPDATE_GOLDEN=1 swift test --skip-build --filter GoldenOutputTests, then review git diff).
            --- actual ---
            \(actual)
            """)
    }

    @Test(arguments: [["analyze", "--help"], ["models", "--help"]])
    func help(_ arguments: [String]) throws {
        let r = try CLI.run(arguments, environment: Self.environment)
        #expect(r.status == 0, "\(r.stderr)")
        try Self.check(r.stdout, "\(arguments[0])-help.txt")
    }

    /// The default model on three sample images given by relative paths: a PNG (no Modality), a CT
    /// (the guard's warning) and an MR DICOM. Columns: file, modality, top finding, probability,
    /// threshold, flag, warnings, model@version; then the weights' SHA-256 and the disclaimer.
    @Test func analyzeTable() throws {
        let r = try CLI.run(["analyze", "SampleImages/BrainT1Slice.png", "SampleImages/CT_small.dcm", "SampleImages/MR_small.dcm",
                             "--models-dir", "Models", "--threads", "2"], environment: Self.environment)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "3 analysed, 0 failed\n")
        try Self.check(r.stdout, "analyze-table.txt")
    }
}
