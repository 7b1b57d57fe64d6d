import Foundation
import Imaging
import Models
import Pipeline
import Tensor
import TestSupport
import Testing

/// `preprocessing.frame` on a real multi-frame DICOM: pydicom-data's `emri_small.dcm` (MIT; 10 frames of
/// 64×64 MR, no rescale, no window), against pydicom's arrays of frame 9 (`Tests/Fixtures/reference`);
/// and `invertMonochrome1` on a MONOCHROME1 CR.
@Suite(.onComputeThreads) struct PreprocessorFrameTests {
    /// A preprocessor feeding a `size`×`size` gray input unscaled (scale 1), so its values are the 8-bit levels.
    static func preprocessor(frame: Any?, window: Any = "minmax", invertMonochrome1: Bool? = nil,
                             size: Int = 64) throws -> Preprocessor {
        var pre: [String: Any] = ["window": window, "scale": 1]
        if let frame { pre["frame"] = frame }
        if let invertMonochrome1 { pre["invertMonochrome1"] = invertMonochrome1 }
        let manifest: [String: Any] = [
            "name": "frames", "version": 1, "task": "classification",
            "inputs": [["name": "input", "layout": "NCHW", "shape": [-1, 1, size, size], "dtype": "float32", "channels": "gray"]],
            "preprocessing": pre,
            "outputs": [["name": "output", "labels": ["a"]]],
            "sha256": ["model.onnx": String(repeating: "0", count: 64)],
        ]
        return try Preprocessor(manifest: ModelManifest.parse(try JSONSerialization.data(withJSONObject: manifest)))
    }

    static func emri() throws -> DecodedImage {
        try Imaging.decode(Fixtures.data("dicom/emri_small.dcm"))
    }

    /// floor(v * 255 + 0.5) of the min/max-windowed values, as the Preprocessor documents.
    static func levels(minmax values: [Double]) -> [Double] {
        let lo = values.min()!, hi = values.max()!
        return values.map { (($0 - lo) / (hi - lo) * 255 + 0.5).rounded(.down) }
    }

    @Test func frameNineMatchesPydicom() throws {
        let image = try Self.emri()
        #expect(image.numberOfFrames == 10)
        let (values, _) = try Self.preprocessor(frame: 9).values(for: image)
        let stored9 = try Tensor.fixture("reference/emri_small.f9.stored.npy.gz").doubles()
        #expect(values.map(Double.init) == Self.levels(minmax: stored9))
        // Not what frame 0 (the default) gives: the test sees which frame was used.
        let stored0 = try Tensor.fixture("reference/emri_small.f0.stored.npy.gz").doubles()
        let (first, _) = try Self.preprocessor(frame: nil).values(for: image)
        #expect(first.map(Double.init) == Self.levels(minmax: stored0))
        #expect(first != values)
    }

    /// The image's own window ("stored"; here min/max, as it has none) on frame 9 against pydicom's
    /// display array of that frame, within one 8-bit level (float32 rounding at .5).
    @Test func frameNineThroughTheStoredWindow() throws {
        let (values, _) = try Self.preprocessor(frame: 9, window: "stored").values(for: Self.emri())
        let display9 = try Tensor.fixture("reference/emri_small.f9.display.npy.gz").doubles()
        let expected = display9.map { ($0 * 255 + 0.5).rounded(.down) }
        let d = try #require(difference(values.map(Double.init), expected))
        #expect(d.maxAbs <= 1, "\(d)")
    }

    @Test func middleIsCountOverTwo() throws {
        let image = try Self.emri()
        let middle = try Self.preprocessor(frame: "middle")
        #expect(try middle.frameIndex(in: image) == 5)
        #expect(try middle.values(for: image).values == Self.preprocessor(frame: 5).values(for: image).values)
        // A single-frame image: the middle is frame 0.
        #expect(try middle.frameIndex(in: FixtureModel.image("MR_small.dcm")) == 0)
    }

    @Test func outOfRangeFramesAreRefusedWithTheCount() throws {
        #expect(throws: PipelineError.frameOutOfRange(frame: 10, count: 10)) {
            try Self.preprocessor(frame: 10).values(for: Self.emri())
        }
        let png = try FixtureModel.image("BrainT1Slice.png"), pre = try Self.preprocessor(frame: 1)
        do {
            _ = try pre.values(for: png)
            Issue.record("frame 1 of a PNG was accepted")
        } catch {
            #expect(error.description == "the model's manifest asks for frame 1, but the image has 1 frame")
        }
    }

    /// `invertMonochrome1` (default true) on a MONOCHROME1 CR, with the min/max and the stored window:
    /// false gives the stored sense, the complement of the inverted levels (within one level of rounding).
    @Test(arguments: ["minmax", "stored"])
    func invertMonochrome1(_ window: String) throws {
        let image = try Imaging.decode(Fixtures.data("dicom/MONOCHROME1_crop.dcm"))
        #expect(image.photometricInterpretation == "MONOCHROME1" && image.rows == 256 && image.columns == 256)
        let inverted = try Self.preprocessor(frame: nil, window: window, size: 256).values(for: image).values
        #expect(try Self.preprocessor(frame: nil, window: window, invertMonochrome1: true, size: 256).values(for: image).values
            == inverted)
        let stored = try Self.preprocessor(frame: nil, window: window, invertMonochrome1: false, size: 256).values(for: image).values
        #expect(stored != inverted)
        #expect(zip(inverted, stored).allSatisfy { abs($0 + $1 - 255) <= 1 })
    }
}
