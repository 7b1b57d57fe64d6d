import ArgumentParser
import Engine
import Foundation
import Models

/// `--root` of the model repository, shared by the `models` subcommands.
struct RepositoryOptions: ParsableArguments {
    @Option(name: [.customLong("root"), .customLong("models-dir")],
            help: "The model repository (default: $MEDINFER_MODELS, $MEDINFER_MODELS_DIR, else ./Models).")
    var root: String?

    var url: URL {
        let env = ProcessInfo.processInfo.environment
        let path = root ?? env["MEDINFER_MODELS"] ?? env["MEDINFER_MODELS_DIR"] ?? "Models"
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    /// The repository, after checking the root exists. `isolated`: versions are verified in a child process
    /// first (`VerifierIsolation`), so that a model which traps the engine refuses itself instead of ending
    /// this process: for the processes that live on (serve, worker) and the `models` commands. A one-shot
    /// `analyze` or `infer` resolves without it (a trap would end only itself, and it would pay twice).
    func open(threads: Int = 1, isolated: Bool = true) throws -> ModelRepository {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError.input(url.path, "no such model repository folder")
        }
        return ModelRepository(root: url, options: CompileOptions(threads: threads, profile: .fromEnvironment()),
                               isolation: isolated ? VerifierIsolation.currentExecutable.map { VerifierIsolation(executable: $0) } : nil)
    }

    /// `reference`, or the first model (by name) that has a verified active version.
    func resolve(_ reference: String?, threads: Int = 1) throws -> LoadedModel {
        if let reference { return try resolve(reference, threads: threads) }
        let repo = try open(threads: threads, isolated: false)
        repo.reload()
        let names = repo.models().map(\.name)
        for name in names {
            if let m = repo.active(name) { return m }
        }
        throw CLIError.input(url.path, names.isEmpty ? "no models in the repository"
                                                     : "no model has a verified version (see `medinfer models list`)")
    }

    /// `NAME[:VERSION]` -> the verified version (default: the active one), or the reason there is none.
    func resolve(_ reference: String, threads: Int = 1) throws -> LoadedModel {
        let parts = reference.split(separator: ":", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        var version: Int?
        if parts.count == 2 {
            guard let v = Int(parts[1]) else { throw CLIError.input(reference, "expected NAME[:VERSION] with an integer version") }
            version = v
        }
        let repo = try open(threads: threads, isolated: false)
        repo.reload(only: name)
        guard let status = repo.models().first(where: { $0.name == name }) else {
            throw CLIError.input(reference, "not an existing file, and \(ModelsError.unknownModel(name: name)) in \(url.path)")
        }
        if let version {
            if let m = repo.model(name, version: version) { return m }
            if let reason = repo.refusal(name, version: version) {
                throw CLIError.input(reference, ModelsError.refused(name: name, version: version, reason: reason))
            }
            throw CLIError.input(reference, ModelsError.unknownVersion(name: name, version: version))
        }
        guard let m = repo.active(name) else {
            let refused = status.versions.map { "\($0.version) \($0.state)" }.joined(separator: "; ")
            throw CLIError.input(reference, "no verified version" + (refused.isEmpty ? "" : " (\(refused))"))
        }
        return m
    }
}

/// Manifest lines printed by `models inspect NAME`.
func printManifest(_ m: LoadedModel) {
    let f = m.manifest
    print("name        \(f.name)")
    print("version     \(f.version)")
    print("task        \(f.task.rawValue)")
    print("sha256      \(m.sha256)")
    for i in f.inputs {
        let shape = i.shape.map { $0.map(String.init) ?? "-1" }.joined(separator: ", ")
        var line = "input       \(i.name) \(i.layout.rawValue) [\(shape)] \(i.dtype) \(i.channels.rawValue)"
        if let mods = i.modalities { line += " modalities \(mods.joined(separator: ",")) (\(i.modalityPolicy.rawValue))" }
        if let parts = i.bodyParts { line += " body parts \(parts.joined(separator: ","))" }
        print(line)
    }
    for o in f.outputs {
        print("output      \(o.name) \(o.activation.rawValue) labels [\(o.labels.joined(separator: ", "))]"
              + (o.thresholds.map { " thresholds \($0)" } ?? ""))
    }
    if let license = f.license { print("license     \(license)") }
    if let source = f.source { print("source      \(source)") }
    if let use = f.intendedUse { print("intended    \(use)") }
    if let lim = f.limitations { print("limitations \(lim)") }
    print("checks      \(f.checks.count) canar\(f.checks.count == 1 ? "y" : "ies")")
    print("")
}

/// The manifest part of `models inspect NAME --json`.
func manifestSummary(_ m: LoadedModel) -> [String: Any] {
    let f = m.manifest
    var o: [String: Any] = [
        "name": f.name, "version": f.version, "task": f.task.rawValue, "sha256": m.sha256,
        "inputs": f.inputs.map { i -> [String: Any] in
            var d: [String: Any] = ["name": i.name, "layout": i.layout.rawValue, "shape": i.shape.map { $0 ?? -1 },
                                    "dtype": i.dtype, "channels": i.channels.rawValue]
            if let mods = i.modalities {
                d["modalities"] = mods
                d["modalityPolicy"] = i.modalityPolicy.rawValue
            }
            if let parts = i.bodyParts { d["bodyParts"] = parts }
            return d
        },
        "outputs": f.outputs.map { o -> [String: Any] in
            var d: [String: Any] = ["name": o.name, "activation": o.activation.rawValue, "labels": o.labels]
            if let t = o.thresholds { d["thresholds"] = t.map(Double.init) }
            return d
        },
        "checks": f.checks.count,
    ]
    for (k, v) in [("license", f.license), ("source", f.source), ("intendedUse", f.intendedUse), ("limitations", f.limitations)] {
        if let v { o[k] = v }
    }
    return o
}
