import Foundation
import TestSupport

/// Runs the built `medinfer` executable (beside the test bundle) as a user would.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLI {
    static var executable: URL {
        // The test runner lives in the same build folder as the products it depends on.
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("medinfer")
    }

    /// Runs `medinfer arguments` in the package root; `environment` entries are added to the test's own.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        p.currentDirectoryURL = Fixtures.packageRoot
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                         stderr: String(decoding: e, as: UTF8.self))
    }

    static func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-\(UUID().uuidString)-\(name)")
    }
}
