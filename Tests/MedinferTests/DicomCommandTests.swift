import Foundation
import Glibc
import TestSupport
import Testing

/// `medinfer serve --dicom-port` and `medinfer dicom echo` as a user runs them: two processes, a real socket.
@Suite struct DicomCommandTests {

    @Test func serveListensForDICOMAndEchoAnswers() throws {
        let repo = try TinyModelRepository()
        let data = CLI.temporaryFile("data")
        defer {
            repo.remove()
            try? FileManager.default.removeItem(at: data)
        }
        let httpPort = try freeLoopbackPort(), dicomPort = try freeLoopbackPort()
        let serve = Process()
        serve.executableURL = CLI.executable
        serve.arguments = ["serve", "--port", "\(httpPort)", "--dicom-port", "\(dicomPort)", "--ae-title", "MEDINFER",
                           "--dicom-allow", "ECHOER", "--workers", "0", "--data-dir", data.path, "--models-dir", repo.root.path]
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer {
            serve.terminate()
            serve.waitUntilExit()
        }
        // The listener is up once an echo succeeds (bounded: 240 tries).
        var echo = CLIResult(status: -1, stdout: "", stderr: "")
        for _ in 0..<240 {
            echo = try CLI.run(["dicom", "echo", "127.0.0.1", "\(dicomPort)", "--ae-title", "ECHOER", "--called", "MEDINFER",
                                "--timeout", "2", "--json"])
            if echo.status == 0 || !serve.isRunning { break }
            usleep(250_000)
        }
        #expect(echo.status == 0, "\(echo.stderr)")
        #expect(echo.stdout.contains("\"status\":\"0x0000\"") && echo.stdout.contains("\"success\":true"), "\(echo.stdout)")
        let rejected = try CLI.run(["dicom", "echo", "127.0.0.1", "\(dicomPort)", "--ae-title", "STRANGER", "--called", "MEDINFER"])
        #expect(rejected.status == 1)
        #expect(rejected.stderr.contains("association rejected (result 1, source 1, reason 3)"), "\(rejected.stderr)")
        let usage = try CLI.run(["dicom", "echo", "127.0.0.1", "0"])
        #expect(usage.status == 1)
        let help = try CLI.run(["dicom", "echo", "--help"])
        #expect(help.status == 0 && help.stdout.contains("medinfer dicom echo 127.0.0.1 11112"))
    }
}
