import Inference
import Engine
import Foundation
import Imaging
import JobQueue
import Models
import Pipeline

// Queue + worker throughput against the pipeline called directly, on the same images and the same compiled
// model, alternating the two in one run; then job latency at a fixed arrival rate. Release build:
//   swift build -c release --product QueueBenchmark && .build/release/QueueBenchmark
// Options: --models-dir Models --images 48 --batch 8 --rounds 2 --rate 0.7 (fraction of direct throughput)

func option(_ name: String, _ fallback: String) -> String {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: "--\(name)"), i + 1 < args.count { return args[i + 1] }
    return fallback
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("QueueBenchmark: \(message)\n".utf8))
    exit(1)
}

let modelsDir = URL(fileURLWithPath: option("models-dir", "Models"), isDirectory: true)
let count = Int(option("images", "48")) ?? 48
let batch = Int(option("batch", "8")) ?? 8
let rounds = Int(option("rounds", "2")) ?? 2
let rateFraction = Double(option("rate", "0.7")) ?? 0.7
let threads = ProcessInfo.processInfo.activeProcessorCount

let repository = ModelRepository(root: modelsDir, options: CompileOptions(threads: threads))
repository.reload()
guard let name = repository.models().first(where: { $0.active != nil })?.name, let model = repository.active(name) else {
    fail("no verified model in \(modelsDir.path)")
}
let analyzer: Analyzer
do { analyzer = try Analyzer(model: model) } catch { fail("\(error)") }

// The sample scans the model accepts, cycled to `count`.
let sampleDir = URL(fileURLWithPath: "SampleImages")
var samples: [(String, Data)] = []
for file in (try? FileManager.default.contentsOfDirectory(atPath: sampleDir.path))?.sorted() ?? [] {
    guard let data = try? Data(contentsOf: sampleDir.appendingPathComponent(file)),
          let image = try? Imaging.decode(data), (try? analyzer.prepare(AnalysisInput(image: image))) != nil else { continue }
    samples.append((file, data))
}
guard !samples.isEmpty else { fail("no usable images in SampleImages/") }
let images = (0..<count).map { samples[$0 % samples.count] }

let clock = ContinuousClock()
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

/// Decode, preprocess and run in batches of `batch`, as `medinfer analyze` does.
func direct() throws -> Double {
    let elapsed = try clock.measure {
        for start in stride(from: 0, to: images.count, by: batch) {
            var prepared: [Analyzer.Prepared] = []
            for (_, data) in images[start..<min(start + batch, images.count)] {
                prepared.append(try analyzer.prepare(AnalysisInput(image: try Imaging.decode(data))))
            }
            _ = try analyzer.run(prepared)
        }
    }
    return Double(images.count) / seconds(elapsed)
}

func temporaryQueue() throws -> (JobQueue, URL) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-bench-\(UUID().uuidString)")
    return (try JobQueue(directory: dir), dir)
}

func workerOptions(once: Bool) -> Worker.Options {
    var o = Worker.Options()
    o.maxBatch = batch
    o.maxDelay = .milliseconds(50)
    o.once = once
    return o
}

/// One single-image job per scan, all queued first; the worker drains them (stores bytes, decodes,
/// batches, runs, writes and fsyncs reports).
func queued() async throws -> Double {
    let (queue, dir) = try temporaryQueue()
    defer { try? FileManager.default.removeItem(at: dir) }
    let start = clock.now
    for (file, data) in images { _ = try await queue.submit([(name: file, data: data)], model: model.ref) }
    let summary = try await Worker(queue: queue, models: repository, options: workerOptions(once: true)).run()
    guard summary.succeeded == images.count else { fail("worker: \(summary)") }
    return Double(images.count) / seconds(clock.now - start)
}

/// Jobs arriving every 1/rate s while a worker runs: end-to-end latency from acceptance to the stored result.
func latency(rate: Double) async throws -> (p50: Double, p99: Double) {
    let (queue, dir) = try temporaryQueue()
    defer { try? FileManager.default.removeItem(at: dir) }
    let worker = Worker(queue: queue, models: repository, options: workerOptions(once: false))
    let running = Task { try await worker.run() }
    let start = clock.now
    var ids: [String] = []
    for (i, (file, data)) in images.enumerated() {
        let due = start + .milliseconds(Int64(Double(i) / rate * 1000))
        if clock.now < due { try await Task.sleep(until: due, clock: clock) }
        await ids.append(try queue.submit([(name: file, data: data)], model: model.ref).job.id)
    }
    let iso = ISO8601DateFormatter()
    iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    var latencies: [Double] = []
    for id in ids {
        while true {
            let job = try await queue.status(id)
            if job.status.isTerminal, let end = job.finishedAt.flatMap(iso.date(from:)), let begin = iso.date(from: job.createdAt) {
                latencies.append(end.timeIntervalSince(begin) * 1000)
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
    worker.stop()
    _ = try await running.value
    latencies.sort()
    func pct(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int((p * Double(latencies.count)).rounded(.up)) - 1)] }
    return (pct(0.5), pct(0.99))
}

print("model \(model.name):\(model.version), \(images.count) images (\(samples.count) distinct), batch \(batch), engine threads \(threads)")
_ = try direct()  // warm-up: plans for this batch size
var directRates: [Double] = [], queueRates: [Double] = []
for round in 1...rounds {
    let d = try direct()
    let q = try await queued()
    directRates.append(d)
    queueRates.append(q)
    print(String(format: "round %d: direct %.2f images/s, queue %.2f images/s, ratio %.3f", round, d, q, q / d))
}
let medianDirect = directRates.sorted()[directRates.count / 2]
let medianQueue = queueRates.sorted()[queueRates.count / 2]
print(String(format: "median: direct %.2f images/s, queue %.2f images/s, ratio %.3f", medianDirect, medianQueue,
             medianQueue / medianDirect))
let rate = medianDirect * rateFraction
let (p50, p99) = try await latency(rate: rate)
print(String(format: "latency at %.2f jobs/s (%.0f%% of direct throughput): p50 %.0f ms, p99 %.0f ms", rate,
             rateFraction * 100, p50, p99))
