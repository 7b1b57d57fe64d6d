import DICOM
import Foundation
import TestSupport
import Testing

/// Hostile-bytes robustness: truncations and bit flips of every fixture must give a result or a
/// typed `DICOMError`, never a crash. Deterministic (seeded PRNG), a few hundred cases per file.
@Suite(.onComputeThreads) struct MutationTests {
    /// Parses and touches the result the way callers do; only typed errors may escape.
    static func exercise(_ data: Data) {
        var limits = ParseLimits()
        limits.maxElementLength = 1 << 24
        limits.maxInflatedSize = 1 << 24
        do {
            let f = try DICOMParser.parse(data, limits: limits)
            let ds = f.dataSet
            _ = ds.int(.rows)
            _ = ds.string(.patientName)
            _ = ds.doubles(.rescaleSlope)
            if case .encapsulated(let enc)? = ds[.pixelData]?.value {
                _ = try? enc.frames(count: max(1, min(ds.int(.numberOfFrames) ?? 1, 64)))
            }
            _ = ds.dumpLines(maxValueLength: 16).count
        } catch {
            _ = error.description  // typed DICOMError
        }
    }

    @Test func truncationsAndBitFlips() throws {
        let urls = DICOMFixture.all
        #expect(!urls.isEmpty)
        var cases = 0
        for (index, url) in urls.enumerated() {
            // Keep debug runs fast: the header region matters most; cap the mutated size.
            let full = try Data(contentsOf: url)
            var rng = SeededGenerator(seed: 0xD1C0_0000 &+ UInt64(index))
            let bytes = [UInt8](full.prefix(12 * 1024))
            let n = bytes.count
            // Truncations: every 11th offset in the first 1 KiB, then random ones.
            var cuts = Array(stride(from: 0, to: min(n, 1024), by: 11))
            for _ in 0..<24 { cuts.append(rng.below(n)) }
            for c in cuts {
                Self.exercise(Data(bytes[0..<c]))
                cases += 1
            }
            // Single, double and burst bit flips / byte overwrites.
            for round in 0..<100 {
                var m = bytes
                let edits = 1 + round % 3
                for _ in 0..<edits {
                    let p = round % 2 == 0 ? rng.below(min(n, 2048)) : rng.below(n)
                    guard p < m.count else { continue }
                    switch rng.below(3) {
                    case 0: m[p] ^= UInt8(1 << rng.below(8))
                    case 1: m[p] = 0xFF
                    default: m[p] = UInt8(truncatingIfNeeded: rng.next())
                    }
                }
                Self.exercise(Data(m))
                cases += 1
            }
        }
        #expect(cases > 1000)
    }

    @Test func hostileLengthFields() {
        // Lengths of 0xFFFFFFFF / huge values in every position of a small data set.
        var b = DataSetBuilder()
        b.explicit(0x0008, 0x1140, "SQ", [], length: 0xFFFF_FFFF)
        b.item()
        b.explicit(0x0008, 0x1150, "UI", text: "1.2")
        b.itemEnd()
        b.sequenceEnd()
        b.explicit(0x7FE0, 0x0010, "OB", [], length: 0xFFFF_FFFF)
        b.item(length: 0)
        b.item(length: 2); b.bytes += [1, 2]
        b.sequenceEnd()
        let base = [UInt8](b.part10(transferSyntax: "1.2.840.10008.1.2.4.50"))
        #expect(throws: Never.self) { try DICOMParser.parse(Data(base)) }
        var cases = 0
        for p in stride(from: 132, to: base.count - 3, by: 1) {
            for v: [UInt8] in [[0xFF, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0x7F], [0, 0, 0, 0x80], [0xFE, 0xFF, 0x00, 0xE0]] {
                var m = base
                m.replaceSubrange(p..<(p + 4), with: v)
                Self.exercise(Data(m))
                cases += 1
            }
        }
        #expect(cases > 100)
    }
}
