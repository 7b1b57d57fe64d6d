public import Foundation
import Synchronization

/// Verification in a child process: before a version is loaded, compiled and canary-checked in this
/// process, the same checks run in a child (`<executable> <arguments> --dir … --name … --version …`), so
/// that a model which traps the engine (a bug the fuzzer has not found yet) kills the child, not the server
/// or the worker. The child prints the refusal reason on stdout and exits 1; exit 0 means it passed; any
/// signal means it crashed, and the version is refused with that.
public struct VerifierIsolation: Sendable {
    /// The `medinfer` executable (`VerifierIsolation.currentExecutable` in the CLI).
    public var executable: URL
    /// Arguments before the version's: the hidden `models verify-version` subcommand.
    public var arguments: [String]
    /// A child still running after this long is killed and the version refused. 10 minutes is a generous
    /// guess, not a measurement: the models of `Models/` verify in seconds, a stuck child must not hold a
    /// reload for ever.
    public var timeout: Duration

    public init(executable: URL, arguments: [String] = ["models", "verify-version"], timeout: Duration = .seconds(600)) {
        self.executable = executable
        self.arguments = arguments
        self.timeout = timeout
    }

    /// This process's own executable (`/proc/self/exe` on Linux), or nil when it cannot be found.
    public static var currentExecutable: URL? {
        let proc = URL(fileURLWithPath: "/proc/self/exe")
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: proc.path) {
            return URL(fileURLWithPath: target)
        }
        return Bundle.main.executableURL
    }

    /// Runs the child for one version folder; returns normally when it passed.
    /// - Throws: `ModelsError.refusedByVerifier` with the child's reason, or with how it died.
    func check(_ directory: URL, name: String, version: Int, threads: Int, memoryBudget: Int) throws(ModelsError) {
        let label = "\(name)/\(version)"
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments + ["--dir", directory.path, "--name", name, "--version", String(version),
                                         "--threads", String(threads), "--memory-budget", String(memoryBudget)]
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw .refusedByVerifier(label: label, reason: "cannot start the verifier \(executable.path): \(error.localizedDescription)")
        }
        let fired = Mutex(false)
        let timer = DispatchWorkItem {
            guard process.isRunning else { return }
            fired.withLock { $0 = true }
            process.terminate()
        }
        let (seconds, attos) = timeout.components
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attos / 1_000_000_000)),
                                          execute: timer)
        // Read to the end before waiting, so a long reason cannot fill the pipe and stall the child.
        let reason = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        process.waitUntilExit()
        timer.cancel()
        let timedOut = fired.withLock { $0 }
        switch (process.terminationReason, process.terminationStatus) {
        case (.exit, 0):
            return
        case (.exit, 1) where !reason.isEmpty:
            throw .refusedByVerifier(label: label, reason: reason)
        case (.exit, let code):
            throw .refusedByVerifier(label: label, reason: "the verifier exited with status \(code)" + (reason.isEmpty ? "" : ": \(reason)"))
        case (_, let signal) where timedOut:
            throw .refusedByVerifier(label: label, reason: "verification did not finish within \(seconds) s (killed, signal \(signal))")
        case (_, let signal):
            throw .refusedByVerifier(label: label, reason: "the verifier crashed (signal \(signal)\(Self.signalName(signal))) while "
                                     + "loading, compiling or running the canaries of \(label)/model.onnx; it is refused")
        }
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGILL: return ", SIGILL: a Swift runtime trap"
        case SIGTRAP: return ", SIGTRAP: a Swift runtime trap"
        case SIGSEGV: return ", SIGSEGV"
        case SIGABRT: return ", SIGABRT"
        case SIGKILL: return ", SIGKILL: out of memory or killed"
        case SIGBUS: return ", SIGBUS"
        default: return ""
        }
    }
}
