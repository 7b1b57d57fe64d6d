import ArgumentParser
import Engine
import Foundation
import Kernels
import Tensor

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the engine on an ONNX model (build in release mode for meaningful figures).",
        discussion: """
            Input: N(0,1) values (fixed seed), the dynamic batch dimension bound to --batch.
            --json prints {"model", "batch", "threads", "iterations", "latency_ms": {"min", "median", "max"},
            "images_per_second"}.

            Example:
              swift run -c release medinfer bench resnet18.onnx --batch 8 --threads 2 --json
            """
    )

    @Argument(help: "The ONNX model.")
    var model: String
    @Option(help: "Images per run (binds the first dimension of every input).")
    var batch: Int = 1
    @Option(help: "Threads the engine may use.")
    var threads: Int = 1
    @Option(help: "Timed runs (after the warm-up runs).")
    var iterations: Int = 10
    @Option(help: "Untimed runs first (the first run also prepares the weights and the arena).")
    var warmup: Int = 2
    @Option(help: "Force this convolution algorithm (a ConvAlgorithm case name) wherever it applies, to compare per-node times.")
    var convAlgorithm: String?
    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard batch >= 1, threads >= 1, iterations >= 1, warmup >= 0 else {
            throw ValidationError("--batch, --threads and --iterations must be at least 1, --warmup at least 0")
        }
    }

    func run() throws {
        var forced: ConvAlgorithm?
        if let name = convAlgorithm {
            guard let a = ConvAlgorithm(rawValue: name) else { throw ValidationError("unknown --conv-algorithm \(name)") }
            forced = a
        }
        let compiled = try loadModel(model, threads: threads, convAlgorithm: forced)
        var feeds: [String: Tensor] = [:]
        var rng = NormalGenerator(seed: 1234)
        for v in compiled.graph.inputs {
            guard let dims = v.shape else { throw CLIError.input(model, "input '\(v.name)' has no declared shape") }
            let shape = dims.enumerated().map { i, d -> Int in
                if case .fixed(let n) = d { return n }
                return i == 0 ? batch : 1
            }
            let n = shape.reduce(1, *)
            feeds[v.name] = try Tensor(shape: shape, values: (0..<n).map { _ in rng.next() })
        }
        let plan: Plan
        do { plan = try compiled.plan(for: feeds.mapValues(\.shape)) } catch { throw CLIError.input(model, error) }
        var times: [Double] = []
        for i in 0..<(iterations + warmup) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            do { _ = try plan.run(feeds) } catch { throw CLIError.input(model, error) }
            if i >= warmup { times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6) }
        }
        times.sort()
        let median = times[times.count / 2]
        let ips = Double(batch) / (median / 1000)
        if json {
            let object: [String: Any] = [
                "model": model, "batch": batch, "threads": threads, "iterations": iterations,
                "latency_ms": ["min": times[0], "median": median, "max": times[times.count - 1]],
                "images_per_second": ips,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "%@  batch %d  threads %d  %d runs: min %.2f ms, median %.2f ms, max %.2f ms, %.1f images/s",
                         model, batch, threads, iterations, times[0], median, times[times.count - 1], ips))
        }
    }
}

/// Box–Muller normal samples from a fixed seed (SplitMix64).
struct NormalGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return (Double((z ^ (z >> 31)) >> 11) + 0.5) / Double(1 << 53)
    }
    mutating func next() -> Float {
        Float((-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform()))
    }
}
