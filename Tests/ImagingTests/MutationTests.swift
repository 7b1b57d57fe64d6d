import Foundation
import Imaging
import TestSupport
import Testing

/// Hostile bytes: every fixture truncated at many offsets, with bits flipped and length-like fields
/// overwritten. Each mutant must give a typed error or a self-consistent decode, never a crash or hang.
@Suite(.onComputeThreads) struct MutationTests {
    static let files: [String] = ["dicom", "png", "jpeg"].flatMap { folder in
        Fixtures.files(in: folder, extensions: ["dcm", "png", "jpg", "jpeg"]).map {
            String($0.path.dropFirst(Fixtures.root.path.count + 1))
        }
    }

    @Test func everyFormatHasFixtures() {
        for prefix in ["dicom/", "png/", "jpeg/"] { #expect(Self.files.contains { $0.hasPrefix(prefix) }) }
    }

    @Test(arguments: files)
    func mutantsFailCleanlyOrDecodeConsistently(_ file: String) throws {
        let original = try [UInt8](Fixtures.data(file))
        var rng = SeededGenerator(seed: file.utf8.reduce(UInt64(original.count)) { $0 &* 31 &+ UInt64($1) })
        // Budget the number of mutants by size so the suite stays fast in debug builds.
        let budget = max(6, min(40, 3_000_000 / max(original.count, 1)))
        var mutants: [(String, [UInt8])] = []
        for i in 1...budget {
            let cut = original.count * i / (budget + 1)
            mutants.append(("truncated at \(cut)", Array(original.prefix(cut))))
        }
        for _ in 0..<budget {
            var m = original
            let at = Int.random(in: 0..<m.count, using: &rng)
            m[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            mutants.append(("bit flip at \(at)", m))
        }
        let patterns: [[UInt8]] = [[0xFF, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0x7F], [0, 0, 0, 0], [0xFE, 0xFF, 0, 0xE0]]
        for k in 0..<budget where original.count > 8 {
            var m = original
            let at = Int.random(in: 0..<(m.count - 4), using: &rng)
            m.replaceSubrange(at..<(at + 4), with: patterns[k % patterns.count])
            mutants.append(("length field at \(at)", m))
        }
        for (what, bytes) in mutants {
            do {
                let image = try Imaging.decode(Data(bytes))
                let n = image.rows * image.columns * image.samplesPerPixel * image.numberOfFrames
                #expect(image.pixels.count == n, "\(file) \(what): pixel count \(image.pixels.count) != \(n)")
                let display = try image.displayFrame(0)
                #expect(display.count == image.frameSampleCount, "\(file) \(what)")
                #expect(!display.contains { !($0 >= 0 && $0 <= 1) }, "\(file) \(what): display outside [0, 1]")
            } catch {
                #expect(!error.description.isEmpty, "\(file) \(what)")
            }
        }
    }
}
