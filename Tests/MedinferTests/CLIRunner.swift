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

extension CLI {
    /// `run` off the cooperative thread pool (an in-process server keeps its threads), killed after
    /// `timeout` seconds so a command that waits for ever (`jobs watch`) fails the test instead of hanging it.
    static func runDetached(_ arguments: [String], environment: [String: String] = [:],
                            timeout: TimeInterval = 120) async throws -> CLIResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let p = Process()
                p.executableURL = executable
                p.arguments = arguments
                p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
                p.currentDirectoryURL = Fixtures.packageRoot
                let out = Pipe(), err = Pipe()
                p.standardOutput = out
                p.standardError = err
                do { try p.run() } catch { return continuation.resume(throwing: error) }
                let deadline = DispatchWorkItem { if p.isRunning { p.terminate() } }
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: deadline)
                // Both pipes drained at once: a full stderr pipe must not block the child while stdout is read.
                let group = DispatchGroup()
                nonisolated(unsafe) var e = Data()
                group.enter()
                DispatchQueue.global().async {
                    e = err.fileHandleForReading.readDataToEndOfFile()
                    group.leave()
                }
                let o = out.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                p.waitUntilExit()
                deadline.cancel()
                continuation.resume(returning: CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                                                         stderr: String(decoding: e, as: UTF8.self)))
            }
        }
    }
}
