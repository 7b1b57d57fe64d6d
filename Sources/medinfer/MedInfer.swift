import ArgumentParser
import Foundation

@main
struct MedInfer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "medinfer",
        abstract: "MedInfer: medical imaging inference on a plain CPU.",
        discussion: """
            Exit codes: 0 success, 1 bad input or usage (the message names the file and the problem), \
            2 internal error.
            """,
        version: "0.1.0",
        subcommands: [DecodeCommand.self, InspectCommand.self, InferCommand.self, BenchCommand.self, ModelsCommand.self,
                      AnalyzeCommand.self, JobsCommand.self, WorkerCommand.self, ReviewCommand.self, AuditCommand.self,
                      ServeCommand.self, KeysCommand.self, DicomCommand.self]
    )

    /// Runs the command and maps failures onto the documented exit codes
    /// (ArgumentParser's own usage code 64 becomes 1).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("medinfer: \(error.message)\n".utf8))
            Foundation.exit(error.exitCode)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(1)
        }
    }
}
