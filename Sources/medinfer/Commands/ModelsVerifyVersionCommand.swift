import ArgumentParser
import Engine
import Foundation
import Models

/// The child side of `VerifierIsolation`: verifies one version folder and says why it is refused on stdout
/// (exit 1), or nothing (exit 0). Hidden: servers, workers and the `models` commands run it on themselves.
struct ModelsVerifyVersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-version",
        abstract: "Verify one version folder in this process (the isolated verifier's child side).",
        shouldDisplay: false
    )

    @Option(help: "The version folder (<root>/<name>/<version>).")
    var dir: String
    @Option(help: "The model name the folder must hold.")
    var name: String
    @Option(help: "The version the folder must hold.")
    var version: Int
    @Option(help: "Engine threads, as the parent compiles with.")
    var threads = 1
    @Option(help: "The engine's memory budget in bytes, as the parent's.")
    var memoryBudget = CompileOptions.defaultMemoryBudget

    func run() throws {
        let options = CompileOptions(threads: threads, memoryBudget: memoryBudget)
        do {
            _ = try ModelRepository.verifyVersion(at: URL(fileURLWithPath: dir, isDirectory: true), name: name,
                                                  version: version, options: options)
        } catch {
            // The reason alone on stdout, nothing on stderr (an ArgumentParser exit would add a blank line).
            FileHandle.standardOutput.write(Data((error.description + "\n").utf8))
            Foundation.exit(1)
        }
    }
}
