import Foundation
import Pipeline
import Tensor
import TestSupport
import Testing

/// One entry of `Tests/Fixtures/resample/index.json`, written by `Scripts/make_resample_fixtures.py`
/// with Pillow 13.0.0 / numpy 2.4.6 (`Scripts/requirements-resample.txt`).
struct ResampleCase: Decodable, CustomTestStringConvertible, Sendable {
    var input: String
    var output: String
    var width: Int
    var height: Int
    var channels: Int
    var toWidth: Int
    var toHeight: Int
    var filter: ResampleFilter

    var testDescription: String { "\(input) -> \(toWidth)x\(toHeight) \(filter)" }

    static func load() -> [ResampleCase] {
        guard let data = try? Fixtures.data("resample/index.json"),
              let cases = try? JSONDecoder().decode([ResampleCase].self, from: data) else { return [] }
        return cases
    }
}

@Suite(.onComputeThreads) struct ResampleTests {
    static let cases = ResampleCase.load()

    @Test func indexIsPresentAndCoversEveryFilter() {
        #expect(Self.cases.count >= 50)
        for f in ResampleFilter.allCases {
            #expect(Self.cases.contains { $0.filter == f }, "no \(f) fixture")
        }
        #expect(Self.cases.contains { $0.channels == 1 } && Self.cases.contains { $0.channels == 3 })
        #expect(Self.cases.contains { $0.toWidth == 240 && $0.toHeight == 240 && $0.filter == .bicubic
            && $0.channels == 3 && $0.width > 240 })
    }

    /// Every output equals Pillow 13's `Image.resize` byte for byte.
    @Test(arguments: cases)
    func matchesPillowExactly(_ c: ResampleCase) throws {
        let src = try Tensor.fixture(c.input)
        let ref = try Tensor.fixture(c.output)
        #expect(src.dtype == .uint8 && ref.dtype == .uint8)
        let expectedShape = c.channels == 1 ? [c.toHeight, c.toWidth] : [c.toHeight, c.toWidth, c.channels]
        #expect(ref.shape == expectedShape)
        let ours = try Resample.resize8(
            src.values(as: UInt8.self), width: c.width, height: c.height, channels: c.channels,
            toWidth: c.toWidth, toHeight: c.toHeight, filter: c.filter)
        let theirs = try ref.values(as: UInt8.self)
        try #require(ours.count == theirs.count, "sample count")
        var mismatches = 0
        var first = -1
        for i in ours.indices where ours[i] != theirs[i] {
            if first < 0 { first = i }
            mismatches += 1
        }
        #expect(mismatches == 0,
                "\(mismatches) samples differ; first at \(first): \(first >= 0 ? "\(ours[first]) vs \(theirs[first])" : "")")
    }

    @Test func sameSizeIsACopy() throws {
        let src: [UInt8] = (0..<60).map { UInt8($0 * 4) }
        for f in ResampleFilter.allCases {
            #expect(try Resample.resize8(src, width: 5, height: 4, channels: 3, toWidth: 5, toHeight: 4,
                                         filter: f) == src)
        }
    }

    @Test func refusesBadSizes() {
        let src = [UInt8](repeating: 7, count: 12)
        for (w, h, c, tw, th) in [(0, 4, 3, 2, 2), (1, 0, 3, 2, 2), (4, 1, 0, 2, 2), (4, 1, 3, 0, 2),
                                  (4, 1, 3, 2, 0), (-1, 4, 3, 2, 2), (4, 1, 3, 2, -5)] {
            #expect(throws: ResampleError.invalidSize(width: w, height: h, channels: c, toWidth: tw,
                                                      toHeight: th)) {
                _ = try Resample.resize8(src, width: w, height: h, channels: c, toWidth: tw, toHeight: th,
                                         filter: .bicubic)
            }
        }
    }

    @Test func refusesWrongBufferLength() {
        #expect(throws: ResampleError.bufferLength(expected: 12, actual: 11)) {
            _ = try Resample.resize8([UInt8](repeating: 0, count: 11), width: 2, height: 2, channels: 3,
                                     toWidth: 4, toHeight: 4, filter: .bilinear)
        }
        #expect(throws: ResampleError.tooLarge) {
            _ = try Resample.resize8([], width: Int.max / 2, height: 4, channels: 3,
                                     toWidth: 4, toHeight: 4, filter: .box)
        }
    }
}
