import Inference
import ArgumentParser
import Foundation
import JobQueue
import Models

struct ModelsVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-check every version's checksums, shapes and canaries (exit 1 with the reason on failure).",
        discussion: """
            Example:
              medinfer models verify brain-mri-tumor
            """
    )

    @Argument(help: "Only this model (default: all).")
    var name: String?
    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let repo = try repository.open()
        let results = repo.verify(name)
        if results.isEmpty {
            throw CLIError.input(repository.url.path, name.map { "no versions of model '\($0)'" } ?? "no model versions")
        }
        for r in results {
            let sha = r.sha256.map { " \($0.prefix(12))" } ?? ""
            print("\(r.name) \(r.version)\(sha) " + (r.passed ? "ok (\(r.checks) canar\(r.checks == 1 ? "y" : "ies"))" : "FAILED"))
        }
        let failed = results.filter { !$0.passed }
        if !failed.isEmpty {
            throw CLIError(message: failed.map { "\($0.name) \($0.version): \($0.failure ?? "")" }.joined(separator: "\n"),
                           exitCode: 1)
        }
    }
}

struct ModelsAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add an ONNX file as the next version of a model (written atomically, checksums computed).",
        discussion: """
            Without --manifest a minimal manifest is generated from the model's inputs and outputs. Files the \
            manifest's checks name are copied from beside the manifest. The new version is verified at once; \
            exit 1 if it is refused (it stays on disk, refused, and never serves).

            Example:
              medinfer models add classifier.onnx --name chest-xray --manifest model.json
            """
    )

    @Argument(help: "The ONNX model file.")
    var model: String
    @Option(help: "The model name (folder under the root).")
    var name: String
    @Option(help: "A model.json to use (name, version and sha256 are filled in).")
    var manifest: String?
    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let root = repository.url
        let version: Int
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            version = try ModelRepository.addVersion(root: root, modelFile: URL(fileURLWithPath: model), name: name,
                                                     manifest: manifest.map { URL(fileURLWithPath: $0) })
        } catch let e as ModelsError {
            throw CLIError.input(model, e)
        }
        let repo = try repository.open()
        repo.reload(only: name)
        print("\(name) \(version): added at \(root.appendingPathComponent(name).appendingPathComponent(String(version)).path)")
        if let reason = repo.refusal(name, version: version) {
            throw CLIError.input(model, "\(name) version \(version) was refused: \(reason)")
        }
        print("\(name) \(version): verified; active version \(repo.active(name)?.version.description ?? "none")")
    }
}

struct ModelsActivateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activate",
        abstract: "Pin a verified version as the one to serve (writes ACTIVE atomically).",
        discussion: """
            The activation, or its refusal, is appended to the audit trail of --data-dir.

            Example:
              medinfer models activate brain-mri-tumor 2
            """
    )

    @Argument(help: "The model name.")
    var name: String
    @Argument(help: "The version to serve.")
    var version: Int
    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var data: DataDirOptions

    func run() async throws {
        let repo = try repository.open()
        let queue = try await data.open()
        repo.reload(only: name)
        let before = repo.active(name)?.version
        do { try repo.activate(name, version: version) } catch {
            try await auditActivation(queue, repo, name, refusal: error, previous: before)
            throw CLIError(message: "\(error)", exitCode: 1)
        }
        try await auditActivation(queue, repo, name, refusal: nil, previous: before)
        print("\(name): active version \(version)" + (before.map { $0 == version ? "" : " (was \($0))" } ?? ""))
    }
}

struct ModelsRollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Serve the highest verified version below the active one (and pin it).",
        discussion: """
            The activation is appended to the audit trail of --data-dir.

            Example:
              medinfer models rollback brain-mri-tumor
            """
    )

    @Argument(help: "The model name.")
    var name: String
    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var data: DataDirOptions

    func run() async throws {
        let repo = try repository.open()
        let queue = try await data.open()
        repo.reload(only: name)
        let before = repo.active(name)?.version
        do { try repo.rollback(name) } catch { throw CLIError(message: "\(error)", exitCode: 1) }
        try await auditActivation(queue, repo, name, refusal: nil, previous: before)
        print("\(name): active version \(repo.active(name)?.version.description ?? "none")" + (before.map { " (was \($0))" } ?? ""))
    }
}

/// Records an activation from the command line as a reload's would be (`AuditTrail.recordModelEvents`, the
/// one builder of model audit rows): `model.activated` (the version now active, its weights' hash, the one
/// before) or, for a version the repository refused, `model.refused` with the reason (about the model,
/// never a patient). Trigger `medinfer models`.
func auditActivation(_ queue: JobQueue, _ repo: ModelRepository, _ name: String, refusal: ModelsError?, previous: Int?) async throws {
    let event: ModelEvent
    switch refusal {
    case let .refused(_, version, reason)?:
        event = .refused(name: name, version: version, reason: reason)
    case nil:
        guard let active = repo.active(name) else { return }
        event = .activated(name: name, version: active.version, previous: previous)
    default:
        return  // unknown model or version, or the pin could not be written: nothing changed
    }
    _ = try await queueCall { () async throws(JobQueueError) in
        try await queue.audit.recordModelEvents([event], repository: repo, trigger: "medinfer models")
    }
}
