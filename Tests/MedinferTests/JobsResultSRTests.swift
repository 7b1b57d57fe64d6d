import DICOM
import Foundation
import TestSupport
import Testing

/// `medinfer jobs result ID --format sr`: a DICOM SR of a job run by the worker, for a DICOM input (patient
/// and study copied from the stored image) and a PNG input, each passing dciodvfy and dsrdump.
@Suite struct JobsResultSRTests {
    static func validate(_ url: URL) throws {
        let iod = try DICOMValidators.dciodvfy(url)
        #expect(iod.errors.isEmpty && iod.unexpectedWarnings.isEmpty, "dciodvfy \(url.lastPathComponent):\n\(iod.output)")
        let dump = try DICOMValidators.dsrdump(url)
        #expect(dump.status == 0 && dump.errors.isEmpty && dump.unexpectedWarnings.isEmpty, "dsrdump:\n\(dump.output)")
        #expect(dump.output.contains("tiny") && dump.output.contains("decision aid, not a diagnosis"))
    }

    @Test func srOfADICOMJobAndAPNGJob() throws {
        let env = try JobsCommandTests.Env()
        defer { env.remove() }
        let out = CLI.temporaryFile("sr")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        let dicom = Fixtures.url("dicom/MR_small.dcm")
        let dicomJob = try env.run(["jobs", "submit", dicom.path]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let pngJob = try env.run(["jobs", "submit", JobsCommandTests.gray8]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var r = try env.run(["jobs", "result", dicomJob, "--format", "sr", "--output", out.path])
        #expect(r.status == 1 && r.stderr == "medinfer: job \(dicomJob) is queued; no results yet\n", "\(r.stderr)")
        r = try env.run(["worker", "--once", "--max-delay-ms", "0"])
        #expect(r.status == 0, "\(r.stderr)")

        // To a folder: <folder>/<job id>.sr.dcm; to a file: that file.
        r = try env.run(["jobs", "result", dicomJob, "--format", "sr", "--output", out.path])
        let folderFile = out.appendingPathComponent("\(dicomJob).sr.dcm")
        #expect(r.status == 0 && r.stdout == folderFile.path + "\n", "\(r.stdout)\(r.stderr)")
        let pngFile = out.appendingPathComponent("png.dcm")
        r = try env.run(["jobs", "result", pngJob, "--format", "sr", "--output", pngFile.path])
        #expect(r.status == 0 && r.stdout == pngFile.path + "\n", "\(r.stdout)\(r.stderr)")

        for url in [folderFile, pngFile] { try Self.validate(url) }
        let source = try DICOMParser.parse(Data(contentsOf: dicom)).dataSet
        let sr = try DICOMParser.parse(Data(contentsOf: folderFile)).dataSet
        #expect(sr.string(.studyInstanceUID) == source.string(.studyInstanceUID))
        #expect(sr.string(.patientID) == source.string(.patientID))
        let png = try DICOMParser.parse(Data(contentsOf: pngFile)).dataSet
        #expect(png.string(.studyInstanceUID) != source.string(.studyInstanceUID) && png.string(.sopClassUID) == "1.2.840.10008.5.1.4.1.1.88.34")

        r = try env.run(["jobs", "result", pngJob, "--format", "sr"])
        #expect(r.status == 1 && r.stderr.contains("--format sr needs --output"), "\(r.stderr)")
    }
}
