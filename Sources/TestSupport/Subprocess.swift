public import Foundation
import Synchronization

/// Output and exit status of a finished subprocess.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var output: String
}

/// Runs a program to completion (stdout and stderr together), terminating it after `timeout` seconds;
/// waits without blocking a cooperative thread. For tests that drive outside tools (dcmtk).
public func runProcess(_ executable: String, _ arguments: [String], timeout: Double = 300) async throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let collected = Mutex(Data())
    pipe.fileHandleForReading.readabilityHandler = { handle in
        let chunk = handle.availableData
        collected.withLock { $0.append(chunk) }
    }
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { p in continuation.resume(returning: p.terminationStatus) }
        do { try process.run() } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
            return
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { if process.isRunning { process.terminate() } }
    }
    pipe.fileHandleForReading.readabilityHandler = nil
    let rest = pipe.fileHandleForReading.readDataToEndOfFile()
    let output = collected.withLock { $0 + rest }
    return ProcessResult(status: status, output: String(decoding: output, as: UTF8.self))
}

/// The path of a dcmtk tool (`echoscu`, `storescu`, `dcmodify`...), nil when dcmtk is not installed.
public func dcmtkTool(_ tool: String) -> String? {
    for dir in ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"] {
        let path = "\(dir)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

/// What a test says when dcmtk is missing.
public let dcmtkMissing = "dcmtk is not installed: run `make test` (it installs dcmtk) or `apt-get install dcmtk`"
