import Annotations
import Foundation
import Imaging
import Models
import Pipeline
import TestSupport
import Testing

/// The modality guard under both policies of the manifest's `inputs[0].modalityPolicy`, on the tiny model
/// (accepting MR) and real sample images: MR (DICOM), CT (DICOM) and a PNG, which has no Modality.
@Suite(.onComputeThreads) struct AnalyzerModalityGuardTests {
    static func analyzer(_ policy: String?) throws -> Analyzer {
        try Analyzer(model: FixtureModel.loaded(manifest: FixtureModel.manifest { i in
            if let policy { i["modalityPolicy"] = policy }
        }))
    }

    static func input(_ name: String) throws -> AnalysisInput {
        AnalysisInput(image: try FixtureModel.image(name), path: name)
    }

    @Test(arguments: [nil, "warn"])
    func warnAnalysesEverythingWithWarnings(_ policy: String?) throws {
        let analyzer = try Self.analyzer(policy)
        let reports = try analyzer.analyze(["MR_small.dcm", "CT_small.dcm", "BrainT1Slice.png"].map(Self.input))
        #expect(reports.count == 3)
        #expect(!reports[0].warnings.contains { $0.hasPrefix("modality") })
        #expect(reports[1].warnings == ["modality CT is not among the model's accepted modalities [MR]"])
        #expect(reports[2].warnings == ["modality unknown (PNG has no DICOM Modality); the model accepts [MR]"])
    }

    @Test func strictRefusesOtherAndUnknownModalities() throws {
        let analyzer = try Self.analyzer("strict")
        let mr = try analyzer.prepare(Self.input("MR_small.dcm"))
        #expect(mr.source.modality == "MR" && !mr.warnings.contains { $0.hasPrefix("modality") })

        let ct = try Self.input("CT_small.dcm"), png = try Self.input("BrainT1Slice.png")
        #expect(throws: PipelineError.modalityRefused(file: "CT_small.dcm", modality: "CT", accepted: ["MR"])) {
            try analyzer.prepare(ct)
        }
        do {
            _ = try analyzer.prepare(ct)
        } catch {
            #expect(error.description
                == "CT_small.dcm: refused: modality CT is not among the model's accepted modalities [MR] (modalityPolicy strict)")
            #expect(error.file == "CT_small.dcm")
        }
        // PNG and JPEG carry no Modality: nothing shows they are MR, so strict refuses them.
        do {
            _ = try analyzer.prepare(png)
            Issue.record("a PNG passed a strict guard")
        } catch {
            #expect(error == .modalityRefused(file: "BrainT1Slice.png", modality: nil, accepted: ["MR"]))
            #expect(error.description == "BrainT1Slice.png: refused: the modality is unknown (no DICOM Modality) and so not "
                + "among the model's accepted modalities [MR] (modalityPolicy strict)")
        }
        // A batch with a refused image fails as a whole through `analyze`; callers that go on per file use
        // `prepare` (as `medinfer analyze` does).
        #expect(throws: PipelineError.self) { try analyzer.analyze(["MR_small.dcm", "CT_small.dcm"].map(Self.input)) }
        #expect(try analyzer.analyze([Self.input("MR_small.dcm")]).count == 1)
    }

    /// The modality comparison ignores case, as the warning always did.
    @Test func strictMatchesModalitiesIgnoringCase() throws {
        let analyzer = try Analyzer(model: FixtureModel.loaded(manifest: FixtureModel.manifest { i in
            i["modalityPolicy"] = "strict"
            i["modalities"] = ["mr", "ct"]
        }))
        #expect(try analyzer.analyze(["MR_small.dcm", "CT_small.dcm"].map(Self.input)).count == 2)
    }
}
