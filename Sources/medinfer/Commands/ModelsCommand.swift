import ArgumentParser
import Engine
import Foundation
import Models
import ONNX
import Tensor

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Model management.",
        subcommands: [ModelsListCommand.self, ModelsInspectCommand.self, ModelsVerifyCommand.self, ModelsAddCommand.self,
                      ModelsActivateCommand.self, ModelsRollbackCommand.self,
                      ModelsVerifyVersionCommand.self]
    )
}

struct ModelsInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Inputs, outputs, op histogram, parameters, GFLOPs per image and planned activation memory.",
        discussion: """
            MODEL is an .onnx file, or NAME[:VERSION] of the repository (default: the active version), \
            whose manifest is summarised first.

            Examples:
              medinfer models inspect resnet18.onnx
              medinfer models inspect brain-mri-tumor:1
            """
    )

    @Argument(help: "An ONNX file, or NAME[:VERSION] in the repository.")
    var model: String
    @OptionGroup var repository: RepositoryOptions
    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: model, isDirectory: &isDir), !isDir.boolValue {
            try inspect(file: model, compiled: loadModel(model, threads: 1), manifest: nil)
            return
        }
        let loaded = try repository.resolve(model)
        try inspect(file: loaded.directory.appendingPathComponent("model.onnx").path, compiled: loaded.model, manifest: loaded)
    }

    func inspect(file model: String, compiled: Model, manifest loaded: LoadedModel?) throws {
        let g = compiled.graph
        let shapes = Dictionary(uniqueKeysWithValues: g.inputs.map { v in
            (v.name, (v.shape ?? []).enumerated().map { i, d -> Int in
                if case .fixed(let n) = d { return n }
                return 1
            })
        })
        let plan: Plan
        do { plan = try compiled.plan(for: shapes) } catch { throw CLIError.input(model, error) }
        let histogram: [String: Int]
        do {
            histogram = try ONNXModel.load(contentsOf: URL(fileURLWithPath: model)).nodes.reduce(into: [:]) { $0[$1.opType, default: 0] += 1 }
        } catch {
            throw CLIError.input(model, error)
        }
        let gflops = 2 * Double(plan.multiplyAdds) / 1e9
        let parameters = g.initializers.values.filter { $0.dtype == .float32 }.map(\.count).reduce(0, +)
        if json {
            var object: [String: Any] = [
                "model": model,
                "inputs": plan.inputTypes.map { ["name": $0.name, "dtype": $0.type.dtype.rawValue, "shape": $0.type.shape] },
                "outputs": plan.outputTypes.map { ["name": $0.name, "dtype": $0.type.dtype.rawValue, "shape": $0.type.shape] },
                "ops": histogram, "parameters": parameters, "gflops_per_image": gflops,
                "activation_bytes": plan.arenaBytes, "conv_algorithms": plan.convolutionAlgorithms,
            ]
            if let loaded { object["manifest"] = manifestSummary(loaded) }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        if let loaded { printManifest(loaded) }
        print("model       \(model)")
        for t in plan.inputTypes { print("input       \(t.name): \(t.type)") }
        for t in plan.outputTypes { print("output      \(t.name): \(t.type)") }
        print("parameters  \(parameters)")
        print(String(format: "GFLOPs      %.3f per image (2 x MACs of Conv, ConvTranspose, Gemm, MatMul)", gflops))
        print(String(format: "activations %.1f MiB planned peak at batch 1", Double(plan.arenaBytes) / 1_048_576))
        if !plan.convolutionAlgorithms.isEmpty {
            print("convolutions " + plan.convolutionAlgorithms.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
                .map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        }
        print("ops (as exported):")
        for (op, n) in histogram.sorted(by: { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }) {
            print("  \(op.padding(toLength: 24, withPad: " ", startingAt: 0)) \(n)")
        }
    }
}
