import Inference
import ArgumentParser
import Foundation
import JobQueue
import Models
import Synchronization

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Drains the job queue without the HTTP server.",
        discussion: """
            Batches images across jobs per model version, up to --max-batch images or --max-delay-ms of \
            waiting (defaults: the model manifest's `batching`, else 8 and 50 ms), highest priority first. \
            At start-up it takes back the images of workers that died and removes orphan files. SIGINT or \
            SIGTERM: finishes the batch in progress and exits. Several workers may share a data directory.

            Examples:
              medinfer worker --data-dir /var/lib/medinfer
              medinfer worker --once --max-batch 4
            """
    )

    @OptionGroup var data: DataDirOptions
    @OptionGroup var repository: RepositoryOptions

    @Option(help: "Images per engine batch (overrides the manifests).")
    var maxBatch: Int?

    @Option(help: "Longest wait for a batch to fill, in ms (overrides the manifests).")
    var maxDelayMs: Int?

    @Flag(help: "Exit once nothing is queued or running.")
    var once = false

    @Option(help: "Engine threads.")
    var threads: Int = min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 4)

    func validate() throws {
        if let maxBatch, maxBatch < 1 { throw ValidationError("--max-batch must be at least 1") }
        if let maxDelayMs, maxDelayMs < 0 { throw ValidationError("--max-delay-ms must not be negative") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() async throws {
        let queue = try await data.open()
        let models = try repository.open(threads: threads)
        var options = Worker.Options()
        options.maxBatch = maxBatch
        options.maxDelay = maxDelayMs.map { .milliseconds($0) }
        options.once = once
        let worker = Worker(queue: queue, models: models, options: options) { line in
            FileHandle.standardError.write(Data("medinfer worker: \(line)\n".utf8))
        }
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { worker.stop() }
            source.resume()
            sources.append(source)
        }
        let outcome: Result<Worker.Summary, JobQueueError>
        do throws(JobQueueError) { outcome = .success(try await worker.run()) } catch { outcome = .failure(error) }
        sources.forEach { $0.cancel() }
        switch outcome {
        case .success(let s):
            FileHandle.standardError.write(Data("""
                medinfer worker: \(s.batches) batches (largest \(s.largestBatch)), \(s.succeeded) images succeeded, \
                \(s.failed) failed, \(s.retried) to retry\n
                """.utf8))
        case .failure(let error):
            throw error.cli
        }
    }
}
