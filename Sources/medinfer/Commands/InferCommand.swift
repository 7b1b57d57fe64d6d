import ArgumentParser
import Engine
import Foundation
import Kernels
import ONNX
import Tensor

struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Run an ONNX model on .npy inputs and write each output as a .npy file.",
        discussion: """
            Each output is written to DIR/<output name>.npy (characters other than letters, digits, '.', '_' \
            and '-' become '_'); the files are listed on stdout.

            Example:
              medinfer infer model.onnx --input input=x.npy --output-dir out/
            """
    )

    @Argument(help: "The ONNX model.")
    var model: String

    @Option(name: .customLong("input"), help: "NAME=FILE.npy, once per model input.")
    var inputs: [String] = []

    @Option(help: "Folder for the output .npy files (created if missing).")
    var outputDir: String

    @Option(help: "Threads the engine may use.")
    var threads: Int = 1

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        for i in inputs where !i.contains("=") { throw ValidationError("--input '\(i)' must be NAME=FILE.npy") }
    }

    func run() throws {
        let compiled = try loadModel(model, threads: threads)
        var feeds: [String: Tensor] = [:]
        for spec in inputs {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            do {
                feeds[parts[0]] = try NPY.read(from: URL(fileURLWithPath: parts[1]))
            } catch {
                throw CLIError.input(parts[1], error)
            }
        }
        let outputs: [String: Tensor]
        do {
            outputs = try compiled.run(feeds)
        } catch {
            throw CLIError.input(model, error)
        }
        let dir = URL(fileURLWithPath: outputDir)
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw CLIError.input(outputDir, "cannot create: \(error.localizedDescription)")
        }
        for o in compiled.graph.outputs {
            guard let t = outputs[o.name] else { continue }
            let url = dir.appendingPathComponent(sanitizedFileName(o.name) + ".npy")
            do { try NPY.write(t, to: url) } catch { throw CLIError.input(url.path, error) }
            print("\(o.name)\t\(t.dtype.rawValue)\(t.shape)\t\(url.path)")
        }
    }
}

/// Output names as file names: anything but letters, digits, '.', '_' and '-' becomes '_'.
func sanitizedFileName(_ name: String) -> String {
    let s = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
    return s.isEmpty || s.hasPrefix(".") ? "_" + s : s
}

/// Loads and compiles a model, mapping failures onto CLI errors that name the file.
func loadModel(_ path: String, threads: Int, convAlgorithm: ConvAlgorithm? = nil) throws -> Model {
    let graph: Graph
    do {
        graph = try ONNXModel.load(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw CLIError.input(path, error)
    }
    do {
        return try Model(graph: graph, options: CompileOptions(threads: threads, convAlgorithm: convAlgorithm, profile: .fromEnvironment()))
    } catch {
        throw CLIError.input(path, error)
    }
}
