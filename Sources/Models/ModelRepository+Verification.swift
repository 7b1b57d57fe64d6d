public import Engine
public import Foundation
import ONNX
import Tensor

extension ModelRepository {
    /// `verifyVersion(at:name:version:options:)` with this repository's options, in a child process first
    /// when `isolation` is set: a version the child refuses or crashes on never reaches this process.
    func verifyVersion(at directory: URL, name: String, version: Int) throws(ModelsError) -> LoadedModel {
        try isolation?.check(directory, name: name, version: version, threads: options.threads, memoryBudget: options.memoryBudget)
        return try Self.verifyVersion(at: directory, name: name, version: version, options: options)
    }

    /// Checks one version folder from scratch: the manifest parses and names this model and version,
    /// every file listed in `sha256` has that digest, the ONNX loads and compiles, its inputs and outputs
    /// match the manifest, and every canary in `checks` passes (a zero-input warm-up run when there is none).
    public static func verifyVersion(at directory: URL, name: String, version: Int,
                                     options: CompileOptions) throws(ModelsError) -> LoadedModel {
        let label = "\(name)/\(version)"
        let manifest = try ModelManifest.load(contentsOf: directory.appendingPathComponent("model.json"),
                                              label: "\(label)/model.json")
        let file = "\(label)/model.json"
        guard manifest.name == name else {
            throw .manifest(file: file, path: "name", reason: "is '\(manifest.name)' but the folder is '\(name)'")
        }
        guard manifest.version == version else {
            throw .manifest(file: file, path: "version", reason: "is \(manifest.version) but the folder is \(version)")
        }
        let modelSHA = try verifyChecksums(manifest, directory: directory, label: label)
        let modelURL = directory.appendingPathComponent("model.onnx")
        let compiled: Engine.Model
        do {
            compiled = try Engine.Model(graph: ONNXModel.load(contentsOf: modelURL), options: options)
        } catch {
            throw .load(file: "\(label)/model.onnx", reason: "\(error)")
        }
        #if DEBUG
        // Tests prove that a verifier trap cannot take a server down: debug builds trap here for the version
        // named NAME/VERSION in this variable. Release builds have no such path.
        if ProcessInfo.processInfo.environment["MEDINFER_TEST_TRAP_VERIFYING"] == label {
            fatalError("MEDINFER_TEST_TRAP_VERIFYING: trapping while verifying \(label)")
        }
        #endif
        try checkSignature(manifest, compiled.graph)
        try runCanaries(manifest, model: compiled, directory: directory)
        return LoadedModel(manifest: manifest, directory: directory, sha256: modelSHA, model: compiled)
    }

    /// Verifies every listed digest; returns model.onnx's.
    static func verifyChecksums(_ manifest: ModelManifest, directory: URL, label: String) throws(ModelsError) -> String {
        var modelSHA = ""
        for (file, expected) in manifest.sha256.sorted(by: { $0.key < $1.key }) {
            let actual = try FileChecksum.sha256(of: directory.appendingPathComponent(file))
            guard actual == expected else {
                throw .checksumMismatch(file: "\(label)/\(file)", expected: expected, actual: actual)
            }
            if file == "model.onnx" { modelSHA = actual }
        }
        return modelSHA
    }

    /// The manifest's inputs are exactly the graph's (names, rank, fixed sizes, dtype); its outputs exist.
    static func checkSignature(_ manifest: ModelManifest, _ graph: Graph) throws(ModelsError) {
        let declared = Set(manifest.inputs.map(\.name))
        for v in graph.inputs where !declared.contains(v.name) {
            throw .signature(reason: "the model has input '\(v.name)', which the manifest does not list")
        }
        for input in manifest.inputs {
            guard let v = graph.inputs.first(where: { $0.name == input.name }) else {
                throw .signature(reason: "input '\(input.name)' is not an input of the model (it has \(graph.inputs.map(\.name)))")
            }
            guard v.dtype.rawValue == input.dtype else {
                throw .signature(reason: "input '\(input.name)' is \(v.dtype.rawValue) in the model, \(input.dtype) in the manifest")
            }
            guard let dims = v.shape else { continue }
            let model = dims.map { d -> Int? in if case .fixed(let n) = d { return n } else { return nil } }
            let shown = "[" + model.map { $0.map(String.init) ?? "-1" }.joined(separator: ", ") + "]"
            let mine = "[" + input.shape.map { $0.map(String.init) ?? "-1" }.joined(separator: ", ") + "]"
            guard model.count == input.shape.count else {
                throw .signature(reason: "input '\(input.name)' has shape \(shown) in the model, \(mine) in the manifest")
            }
            for (m, s) in zip(model, input.shape) where m != nil && m != s {
                throw .signature(reason: "input '\(input.name)' has shape \(shown) in the model, \(mine) in the manifest")
            }
        }
        let outputs = Set(graph.outputs.map(\.name))
        for o in manifest.outputs where !outputs.contains(o.name) {
            throw .signature(reason: "output '\(o.name)' is not an output of the model (it has \(graph.outputs.map(\.name)))")
        }
    }

    /// Runs each check and compares with its expected outputs (absolute tolerance); for classifiers,
    /// also that each output's last dimension has one label per class.
    static func runCanaries(_ manifest: ModelManifest, model: Engine.Model, directory: URL) throws(ModelsError) {
        var runs: [[String: Tensor]] = []
        var expectations: [(index: Int, check: ModelManifest.Check)] = []
        for (i, check) in manifest.checks.enumerated() {
            var inputs: [String: Tensor] = [:]
            for (name, file) in check.inputs {
                inputs[name] = try readNPY(directory.appendingPathComponent(file), check: i)
            }
            runs.append(inputs)
            expectations.append((i, check))
        }
        if runs.isEmpty {
            // Warm-up: zeros at batch 1 for dynamic sizes.
            var inputs: [String: Tensor] = [:]
            for input in manifest.inputs {
                guard let dtype = DType(rawValue: input.dtype),
                      let t = try? Tensor(zeros: dtype, shape: input.shape.map { $0 ?? 1 }) else { continue }
                inputs[input.name] = t
            }
            do { _ = try model.run(inputs) } catch {
                throw .load(file: "\(manifest.name)/\(manifest.version)/model.onnx", reason: "warm-up run failed: \(error)")
            }
        }
        for (inputs, (i, check)) in zip(runs, expectations) {
            let outputs: [String: Tensor]
            do { outputs = try model.plan(for: inputs.mapValues(\.shape)).run(inputs) } catch {
                throw .canary(index: i, reason: "run failed: \(error)")
            }
            for (name, file) in check.expected.sorted(by: { $0.key < $1.key }) {
                let expected = try readNPY(directory.appendingPathComponent(file), check: i)
                guard let ours = outputs[name] else { throw .canary(index: i, reason: "the model has no output '\(name)'") }
                guard ours.shape == expected.shape else {
                    throw .canary(index: i, reason: "output '\(name)' has shape \(ours.shape), \(file) has \(expected.shape)")
                }
                let a = ours.doubles(), b = expected.doubles()
                var worst = 0.0, at = 0
                for k in a.indices {
                    let d = abs(a[k] - b[k])
                    if !(d <= worst) { worst = d; at = k }
                }
                guard worst <= Double(check.tolerance) else {
                    throw .canary(index: i, reason: "output '\(name)' differs from \(file) by \(worst) at index \(at) "
                                  + "(\(a[at]) vs \(b[at])), tolerance \(check.tolerance)")
                }
            }
            if manifest.task == .classification {
                for o in manifest.outputs where !o.labels.isEmpty {
                    if let t = outputs[o.name], let classes = t.shape.last, classes != o.labels.count {
                        throw .signature(reason: "output '\(o.name)' has \(classes) classes, the manifest lists \(o.labels.count) labels")
                    }
                }
            }
        }
    }

    static func readNPY(_ url: URL, check: Int) throws(ModelsError) -> Tensor {
        do { return try NPY.read(from: url) } catch {
            throw .canary(index: check, reason: "\(url.lastPathComponent): \(error)")
        }
    }
}
