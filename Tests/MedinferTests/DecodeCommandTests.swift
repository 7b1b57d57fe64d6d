import Foundation
import Tensor
import TestSupport
import Testing

@Suite struct DecodeCommandTests {
    @Test func decodesSampleDICOMAtEveryStage() throws {
        for stage in ["stored", "modality", "display"] {
            let out = CLI.temporaryFile("ct.npy")
            defer { try? FileManager.default.removeItem(at: out) }
            let r = try CLI.run(["decode", "Tests/Fixtures/dicom/CT_small.dcm", "--output", out.path, "--stage", stage])
            #expect(r.status == 0, "\(r.stderr)")
            let ours = try NPY.read(from: out)
            let ref = try Tensor.fixture("reference/CT_small.f0.\(stage).npy.gz")
            #expect(ours.shape == ref.shape && ours.dtype == ref.dtype)
            let d = try #require(difference(ours.doubles(), ref.doubles()))
            #expect(d.maxAbs <= (stage == "stored" ? 0 : 1e-3), "\(stage): \(d)")
        }
    }

    @Test func missingFileIsInputErrorNamingIt() throws {
        let r = try CLI.run(["decode", "no/such/file.dcm", "--output", "/tmp/x.npy"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("no/such/file.dcm"))
    }

    @Test func garbageIsInputErrorNamingFileAndProblem() throws {
        let f = CLI.temporaryFile("garbage.bin")
        try Data("this is not an image at all".utf8).write(to: f)
        defer { try? FileManager.default.removeItem(at: f) }
        let r = try CLI.run(["decode", f.path, "--output", "/tmp/x.npy"])
        #expect(r.status == 1)
        #expect(r.stderr.contains(f.path) && r.stderr.contains("unknown image format"), "\(r.stderr)")
    }

    @Test func frameOutOfRangeIsInputError() throws {
        let r = try CLI.run(["decode", "Tests/Fixtures/dicom/CT_small.dcm", "--output", "/tmp/x.npy", "--frame", "5"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("frame 5 out of range"), "\(r.stderr)")
    }

    @Test func usageErrorsExitWithOne() throws {
        let r = try CLI.run(["decode", "Tests/Fixtures/dicom/CT_small.dcm", "--output", "/tmp/x.npy", "--stage", "raw"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("stage"))
        #expect(try CLI.run(["frobnicate"]).status == 1)
    }

    @Test func helpShowsAnExample() throws {
        let r = try CLI.run(["decode", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Example") && r.stdout.contains("medinfer decode"))
    }
}

@Suite struct InspectCommandTests {
    @Test func dumpsDICOMHeader() throws {
        let r = try CLI.run(["inspect", "Tests/Fixtures/dicom/CT_small.dcm"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("(0028,0010)") && r.stdout.contains("Rows") && r.stdout.contains("128"))
        #expect(r.stdout.contains("Explicit VR Little Endian"))
    }

    @Test func dumpsDICOMAsJSONModel() throws {
        let r = try CLI.run(["inspect", "Tests/Fixtures/dicom/CT_small.dcm", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rows = try #require(object["00280010"] as? [String: Any])
        #expect(rows["vr"] as? String == "US")
        #expect((rows["Value"] as? [Int]) == [128])
    }

    @Test func showsPNGFacts() throws {
        let png = try #require(Fixtures.files(in: "png", extensions: ["png"]).first)
        let r = try CLI.run(["inspect", png.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("colour type") && r.stdout.contains("bit depth"), "\(r.stdout)")
    }
}
