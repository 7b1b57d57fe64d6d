import DICOM
import DICOMNetwork
import Foundation
import Synchronization
import Testing
import TestSupport

/// dcmtk's echoscu and storescu against the listener (Debian `dcmtk`; `make test` installs it), on the real
/// timers and so, like `ListenerTests`, on threads of their own (`.onIOThreads`).
@Suite(.onIOThreads) struct DcmtkPeerTests {
    @Test func echoscuAndStorescu() async throws {
        let echoscu = try dcmtk("echoscu"), storescu = try dcmtk("storescu")
        let provider = RecordingProvider()
        @Sendable func fixture(_ name: String) -> String { Fixtures.url("dicom/\(name)").path }
        try await withListener(ListenerTests.configuration(), provider: provider) { listener in
            let common = ["-aec", "MEDINFER", "-to", "120", "-ta", "120", "-td", "120", "127.0.0.1", "\(listener.port)"]
            let echo = try await run(echoscu, ["-v", "-aet", "ECHOSCU"] + common)
            #expect(echo.status == 0, "\(echo.output)")
            // storescu proposes uncompressed syntaxes unless told otherwise: one run per compression.
            let plain = try await run(storescu, ["-v", "-aet", "STORESCU"] + common + [fixture("CT_small.dcm"), fixture("MR_small.dcm")])
            #expect(plain.status == 0, "\(plain.output)")
            let rle = try await run(storescu, ["-v", "-xr", "-aet", "STORESCU"] + common + [fixture("MR_small_RLE.dcm")])
            #expect(rle.status == 0, "\(rle.output)")
            let j2k = try await run(storescu, ["-v", "-xw", "-aet", "STORESCU"] + common + [fixture("JPEG2000.dcm")])
            #expect(j2k.status == 0, "\(j2k.output)")
            let wrongCalled = try await run(echoscu, ["-aet", "ECHOSCU", "-aec", "SOMEONE", "-to", "120", "-ta", "120",
                                                      "127.0.0.1", "\(listener.port)"])
            #expect(wrongCalled.status != 0)
            #expect(wrongCalled.output.contains("Called AE Title Not Recognized"), "\(wrongCalled.output)")
        }
        let received = provider.instances.withLock { $0 }
        #expect(received.count == 4)
        // Compressed instances arrive as they were sent, not converted.
        #expect(Set(received.map(\.transferSyntaxUID)) == [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.rleLossless.uid,
                                                            TransferSyntax.jpeg2000.uid])
        // The bytes are a data set in the negotiated syntax: wrapped as Part 10 they parse back.
        for instance in received {
            let part10 = try DICOMWriter.part10(encodedDataSet: Data(instance.dataSet), sopClassUID: instance.sopClassUID,
                                                sopInstanceUID: instance.sopInstanceUID, transferSyntaxUID: instance.transferSyntaxUID)
            let file = try DICOMParser.parse(part10)
            #expect(file.dataSet.string(.sopInstanceUID) == instance.sopInstanceUID)
            #expect(file.transferSyntax.uid == instance.transferSyntaxUID)
        }
    }
}
