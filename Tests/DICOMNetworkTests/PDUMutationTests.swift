@testable import DICOMNetwork
import TestSupport
import Testing

/// Hostile bytes: mutations of valid PDUs and command sets must decode or give a typed error, never
/// crash or allocate past the limits. Deterministic (seeded), a few thousand cases.
@Suite struct PDUMutationTests {
    /// Decodes like the channel does (header check, then body); returns whether it decoded.
    static func exercise(_ bytes: [UInt8]) -> Bool {
        let limits = PDULimits(maxDataLength: 1 << 16)
        do {
            guard let total = try PDUCodec.frameLength(bytes, limits: limits), total <= bytes.count else { return false }
            let pdu = try PDUCodec.decode(Array(bytes[0..<total]), limits: limits)
            if case .data(let pdvs) = pdu {
                var assembler = MessageAssembler(maxDataSetBytes: 1 << 16)
                for pdv in pdvs { _ = try? assembler.add(pdv) }
            }
            // What decodes re-encodes to something that decodes to the same value.
            #expect((try? PDUCodec.decode(PDUCodec.encode(pdu), limits: limits)) == pdu)
            return true
        } catch {
            // Typed throws: only a PDUError can get here.
            _ = error.description
            _ = error.abortReason
            return false
        }
    }

    @Test func mutatedPDUsNeverCrash() throws {
        var rng = SeededGenerator(seed: 0x00D1_C0DE)
        var decoded = 0, cases = 0
        for (index, pdu) in PDUCodecTests.all.enumerated() {
            let bytes = PDUCodec.encode(pdu)
            for round in 0..<400 {
                var m = bytes
                switch round % 4 {
                case 0:  // one bit flip
                    let i = rng.below(m.count)
                    m[i] ^= UInt8(1 << rng.below(8))
                case 1:  // a burst of random bytes
                    let start = rng.below(m.count)
                    for i in start..<min(m.count, start + 1 + rng.below(8)) { m[i] = UInt8(truncatingIfNeeded: rng.next()) }
                case 2:  // a length-shaped field set to an extreme
                    let i = rng.below(max(m.count - 1, 1))
                    m[i] = [0x00, 0xFF, 0x7F, 0x80][rng.below(4)]
                default:  // cut and splice
                    let cut = rng.below(m.count)
                    m = Array(m[0..<cut]) + Array(bytes[rng.below(bytes.count)...])
                }
                if Self.exercise(m) { decoded += 1 }
                cases += 1
            }
            _ = index
        }
        #expect(cases == PDUCodecTests.all.count * 400)
        // Some mutations (in AE title padding, reserved bytes, data) must still decode.
        #expect(decoded > 0)
    }

    @Test func randomBytesNeverCrash() throws {
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<2000 {
            var m = (0..<rng.below(200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if !m.isEmpty { m[0] = UInt8(1 + rng.below(7)) }  // a valid type, to get past the header
            _ = Self.exercise(m)
        }
    }

    @Test func mutatedCommandSetsNeverCrash() throws {
        var rng = SeededGenerator(seed: 7)
        let bytes = DIMSECommand.storeRequest(messageID: 3, sopClass: StorageSOPClasses.ct, sopInstance: "1.2.3").encoded()
        var ok = 0
        for _ in 0..<2000 {
            var m = bytes
            let i = rng.below(m.count)
            m[i] = UInt8(truncatingIfNeeded: rng.next())
            if rng.below(3) == 0 { m = Array(m.prefix(rng.below(m.count))) }
            if (try? DIMSECommand.decode(m)) != nil { ok += 1 }
        }
        #expect(ok > 0)
    }
}
