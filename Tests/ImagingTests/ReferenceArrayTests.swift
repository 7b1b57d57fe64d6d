import DICOM
import Foundation
import Imaging
import Tensor
import TestSupport
import Testing

/// One entry of `Tests/Fixtures/reference/manifest.json`, written by `Scripts/make_fixtures.py`
/// from pydicom 3.0.2 / Pillow 13.0.0 (pinned in `Scripts/requirements.txt`).
struct ReferenceCase: Decodable, CustomTestStringConvertible, Sendable {
    var file: String
    var frame: Int?
    var stored: String?
    var modality: String?
    var display: String?
    var lossy: Bool?
    var window: Int?
    /// Colour, PNG and JPEG: display = stored / displayDivisor (no display array is committed).
    var displayDivisor: Double?
    /// "unsupported" (must name `contains`) or "any" (any typed error).
    var error: String?
    var contains: String?

    var testDescription: String { "\(file) frame \(frame ?? 0)" }

    static func load() -> [ReferenceCase] {
        guard let data = try? Fixtures.data("reference/manifest.json"),
              let cases = try? JSONDecoder().decode([ReferenceCase].self, from: data) else { return [] }
        return cases
    }
}

@Suite(.onComputeThreads) struct ReferenceArrayTests {
    static let cases = ReferenceCase.load()
    static let decodable = cases.filter { $0.error == nil }
    static let refused = cases.filter { $0.error != nil }

    @Test func manifestIsPresentAndCoversEveryFormat() {
        #expect(Self.decodable.count >= 40)
        for prefix in ["dicom/", "png/", "jpeg/"] {
            #expect(Self.decodable.contains { $0.file.hasPrefix(prefix) }, "no \(prefix) reference")
        }
    }

    /// Stored values equal pydicom's `pixel_array` / Pillow exactly (±1 for lossy JPEG).
    @Test(arguments: decodable)
    func storedMatchesReference(_ c: ReferenceCase) throws {
        let image = try Imaging.decode(Fixtures.data(c.file))
        let frame = c.frame ?? 0
        let ours = try image.storedFrame(frame)
        let ref = try Tensor.fixture(try #require(c.stored))
        let shape = image.samplesPerPixel == 1 ? [image.rows, image.columns]
            : [image.rows, image.columns, image.samplesPerPixel]
        #expect(shape == ref.shape, "shape")
        #expect(storedDType(ours) == ref.dtype, "dtype")
        let d = try #require(difference(ours.doubles(0..<ours.count), ref.doubles()), "element count")
        #expect(d.maxAbs <= (c.lossy == true ? 1 : 0), "\(d)")
    }

    /// Modality values within 1e-4 relative of pydicom's `apply_modality_lut`
    /// (the stored reference itself where the file has no Modality LUT).
    @Test(arguments: decodable)
    func modalityMatchesReference(_ c: ReferenceCase) throws {
        let image = try Imaging.decode(Fixtures.data(c.file))
        let ours = try image.modalityFrame(c.frame ?? 0).map(Double.init)
        let ref = try Tensor.fixture(try #require(c.modality ?? c.stored)).doubles()
        let tolerance = c.lossy == true ? 1.0 : 0.0
        let ok = allClose(ours, ref, abs: tolerance * maxSlope(image), rel: 1e-4)
        #expect(ok, "\(difference(ours, ref).map(\.description) ?? "count differs")")
    }

    /// Display values within 1e-3 absolute of pydicom's VOI LUT / window, normalised to [0, 1].
    @Test(arguments: decodable)
    func displayMatchesReference(_ c: ReferenceCase) throws {
        let image = try Imaging.decode(Fixtures.data(c.file))
        let ours = try image.displayFrame(c.frame ?? 0, windowIndex: c.window ?? 0).map(Double.init)
        let ref: [Double]
        if let divisor = c.displayDivisor {
            ref = try Tensor.fixture(try #require(c.stored)).doubles().map { $0 / divisor }
        } else {
            ref = try Tensor.fixture(try #require(c.display)).doubles()
        }
        #expect(ours.allSatisfy { $0 >= 0 && $0 <= 1 }, "display values outside [0, 1]")
        if c.lossy == true {
            // A ±1 stored difference moves a display value by at most one window step.
            let d = try #require(difference(ours, ref))
            #expect(d.maxAbs <= 1e-3 + lossyDisplayStep(image), "\(d)")
        } else {
            let d = try #require(difference(ours, ref))
            #expect(d.maxAbs <= 1e-3, "\(d)")
        }
    }

    /// Files that must be refused give a typed error naming what is unsupported.
    @Test(arguments: refused)
    func refusedWithTypedError(_ c: ReferenceCase) throws {
        let data = try Fixtures.data(c.file)
        do {
            _ = try Imaging.decode(data).storedFrame(0)
            Issue.record("\(c.file) decoded but should fail (\(c.error ?? ""))")
        } catch {
            if let needle = c.contains {
                #expect(error.description.contains(needle), "\(error.description)")
            }
            if c.error == "unsupported" {
                if case .unsupported = error {} else { Issue.record("expected .unsupported, got \(error)") }
            }
        }
    }
}

private func storedDType(_ p: PixelBuffer) -> DType {
    switch p {
    case .uint8: return .uint8
    case .uint16: return .uint16
    case .int16: return .int16
    case .int32: return .int32
    case .uint32: return .uint32
    }
}

private func maxSlope(_ image: DecodedImage) -> Double {
    abs(image.dicom?.dataSet.double(.rescaleSlope) ?? 1)
}

/// The display change caused by a ±1 stored difference, for lossy files.
private func lossyDisplayStep(_ image: DecodedImage) -> Double {
    let width = image.dicom?.dataSet.double(.windowWidth) ?? Double((1 << image.bitsStored) - 1)
    return maxSlope(image) / max(width - 1, 1) + 1e-6
}
