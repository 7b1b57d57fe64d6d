import Foundation
import Glibc
import TestSupport
import Testing

/// `medinfer serve --dicom-port` and `medinfer dicom echo` as a user runs them: two processes, a real socket.
@Suite struct DicomCommandTests {
    /// A port that was free a moment ago (bound to 0, read, closed).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        try #require(bound == 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func serveListensForDICOMAndEchoAnswers() throws {
        let repo = try TinyModelRepository()
        let data = CLI.temporaryFile("data")
        defer {
            repo.remove()
            try? FileManager.default.removeItem(at: data)
        }
        let httpPort = try Self.freePort(), dicomPort = try Self.freePort()
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
