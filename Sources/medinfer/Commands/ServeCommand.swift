import ArgumentParser
import Foundation
import Models
import Server
import Synchronization

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Runs the HTTP server (job API, KServe V2, metrics) with in-process workers.",
        discussion: """
            --role splits the server so front ends and workers scale separately on one queue (a PostgreSQL \
            --database, a shared --blob-dir): api serves the job API, STOW-RS, reviews and the DICOM listener \
            without workers (KServe infer answers 503); worker runs --workers job workers and KServe infer \
            (the job API answers 503); all (default) does both. See docs/SCALING.md.

            Every option also reads a MEDINFER_* environment variable (MEDINFER_ROLE, MEDINFER_HOST, MEDINFER_PORT, \
            MEDINFER_DATA_DIR, MEDINFER_DATABASE, MEDINFER_BLOB_DIR, MEDINFER_MODELS_DIR, MEDINFER_DEFAULT_MODEL, MEDINFER_WORKERS, MEDINFER_MAX_BATCH, \
            MEDINFER_MAX_DELAY_MS, MEDINFER_THREADS, MEDINFER_MAX_BODY_BYTES, MEDINFER_MAX_QUEUED_IMAGES, \
            MEDINFER_METRICS_OPEN, MEDINFER_DICOM_PORT, MEDINFER_AE_TITLE, MEDINFER_DICOM_QUIET_PERIOD_MS); a flag wins \
            over its variable. The first start creates an admin API key and \
            prints it once; only its SHA-256 is stored. SIGINT or SIGTERM: stops accepting, finishes the running \
            batch, leaves queued jobs for the next start.

            Examples:
              medinfer serve
              medinfer serve --host 0.0.0.0 --port 9000 --data-dir /var/lib/medinfer --max-batch 4
              medinfer serve --dicom-port 11112 --ae-title MEDINFER --dicom-allow PACS@10.0.0.5 --ae-model CHEST=chest-xray
              medinfer serve --role api --database postgres://medinfer@db/medinfer --blob-dir /mnt/blobs
              medinfer serve --role worker --workers 2 --database postgres://medinfer@db/medinfer --blob-dir /mnt/blobs
            """
    )

    @Option(help: ArgumentHelp("What this process serves: api (job API, no workers), worker (workers and KServe infer) or all (default).",
                               valueName: "api|worker|all"),
            transform: { text in
                guard let role = ServerRole(rawValue: text) else { throw ValidationError("--role \(text): expected api, worker or all") }
                return role
            })
    var role: ServerRole?

    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "Port (default 8080; 0 picks a free one).")
    var port: Int?

    @OptionGroup var data: DataDirOptions
    @OptionGroup var repository: RepositoryOptions

    @Option(help: "NAME of the model used when a request names none (default: the first verified model).")
    var defaultModel: String?

    @Option(help: "In-process workers draining the queue (default 1; none with --role api).")
    var workers: Int?

    @Option(help: "Images per engine batch (overrides the manifests).")
    var maxBatch: Int?

    @Option(help: "Longest wait for a batch to fill, in ms (overrides the manifests).")
    var maxDelayMs: Int?

    @Option(help: "Engine threads per worker (default 1).")
    var threads: Int?

    @Option(help: "Largest request body in bytes (default 2 GiB).")
    var maxBodyBytes: Int64?

    @Flag(help: "Require an admin key for GET /metrics.")
    var closeMetrics = false

    @Option(help: "Also listen for DICOM (C-ECHO, C-STORE) on this port, e.g. 11112 (default: no listener).")
    var dicomPort: Int?

    @Option(help: "Our DICOM AE title: the called AE title peers must use (default MEDINFER).")
    var aeTitle: String?

    @Option(help: "A peer allowed to associate: AE@host, AE or @host (repeatable; default: anyone).")
    var dicomAllow: [String] = []

    @Option(help: "AETITLE=MODEL[:VERSION]: jobs of instances sent to that called AE title run on that model (repeatable).")
    var aeModel: [String] = []

    @Option(help: "Milliseconds a DICOM study waits for more associations before its job is made; 0: a job at each A-RELEASE (default 5000).")
    var dicomQuietPeriodMs: Int?

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be 0...65535") }
        if let workers, workers < 0 { throw ValidationError("--workers must not be negative") }
        if role == .api, let workers, workers > 0 {
            throw ValidationError("--workers \(workers): an api node runs no workers; run them with --role worker (or all)")
        }
        if let maxBatch, maxBatch < 1 { throw ValidationError("--max-batch must be at least 1") }
        if let maxDelayMs, maxDelayMs < 0 { throw ValidationError("--max-delay-ms must not be negative") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let maxBodyBytes, maxBodyBytes < 1 { throw ValidationError("--max-body-bytes must be positive") }
        if let dicomPort, !(0...65535).contains(dicomPort) { throw ValidationError("--dicom-port must be 0...65535") }
        if let dicomQuietPeriodMs, dicomQuietPeriodMs < 0 { throw ValidationError("--dicom-quiet-period-ms must not be negative") }
        for title in [aeTitle].compactMap({ $0 }) + aeModel.map({ String($0.split(separator: "=").first ?? "") }) {
            guard !title.isEmpty, title.utf8.count <= 16, title.allSatisfy({ $0.isASCII && $0 != "\\" }) else {
                throw ValidationError("AE title '\(title)': 1 to 16 ASCII characters without backslash")
            }
        }
        for entry in aeModel where !entry.contains("=") || entry.hasSuffix("=") {
            throw ValidationError("--ae-model \(entry): expected AETITLE=MODEL[:VERSION]")
        }
        for entry in dicomAllow where entry.isEmpty || entry == "@" {
            throw ValidationError("--dicom-allow '\(entry)': expected AE@host, AE or @host")
        }
    }

    /// Defaults, then MEDINFER_* variables, then flags.
    func serverConfiguration() throws -> ServerConfiguration {
        var c: ServerConfiguration
        do { c = try ServerConfiguration(environment: ProcessInfo.processInfo.environment) } catch {
            throw CLIError(message: error.description, exitCode: 1)
        }
        if let role { c.role = role }
        if let host { c.host = host }
        if let port { c.port = port }
        let location = try data.location()
        c.dataDirectory = location.dataDirectory
        c.database = location.database
        c.blobDirectory = location.blobDirectory
        c.modelsDirectory = repository.url
        c.verifierIsolation = VerifierIsolation.currentExecutable.map { VerifierIsolation(executable: $0) }
        if let defaultModel { c.defaultModel = defaultModel }
        if let workers { c.workers = workers }
        if let maxBatch { c.maxBatch = maxBatch }
        if let maxDelayMs { c.maxDelayMs = maxDelayMs }
        if let threads { c.threads = threads }
        if let maxBodyBytes { c.maxBodyBytes = maxBodyBytes }
        if closeMetrics { c.openMetrics = false }
        if let dicomPort { c.dicomPort = dicomPort }
        if let aeTitle { c.aeTitle = aeTitle }
        if !dicomAllow.isEmpty { c.dicomAllow = dicomAllow }
        if let dicomQuietPeriodMs { c.dicomQuietPeriodMs = dicomQuietPeriodMs }
        for entry in aeModel {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            c.aeModels[parts[0]] = parts[1]
        }
        // Checked after flags and variables are merged: either may set the role.
        if c.role == .worker, c.workers < 1 {
            throw CLIError(message: "--role worker with \(c.workers) workers: a worker node needs at least one (--workers)", exitCode: 1)
        }
        if c.role == .worker, c.dicomPort != nil {
            throw CLIError(message: "--role worker with a DICOM port: the listener makes jobs, so it runs on --role api (or all)", exitCode: 1)
        }
        return c
    }

    func run() async throws {
        signal(SIGXFSZ, SIG_IGN)
        let configuration = try serverConfiguration()
        _ = try repository.open()
        let services: ServerServices
        do { services = try await ServerServices(configuration: configuration) } catch let error as QueueLocationError {
            throw error.cli
        } catch {
            throw CLIError.input(configuration.dataDirectory.path, "\(error)")
        }
        if services.legacyKeys != .noFile {
            FileHandle.standardOutput.write(Data("medinfer: \(services.legacyKeys)\n".utf8))
        }
        if let key = try await services.keys.bootstrapAdminKey() {
            // Unbuffered: the key must reach a pipe or log file now, not at exit.
            FileHandle.standardOutput.write(Data("""
                Created the admin API key (shown only this once; only its SHA-256 is stored):
                  \(key)
                Use it as: Authorization: Bearer <key>\n
                """.utf8))
        }
        if let dicomPort = configuration.dicomPort {
            FileHandle.standardOutput.write(Data("medinfer: DICOM listener on \(configuration.host):\(dicomPort), AE title \(configuration.aeTitle)\n".utf8))
        }
        do {
            // Printed once the socket listens (the models are loaded by then), with the bound port, so
            // `--port 0` names the port the kernel picked and a script can connect as soon as it reads the line.
            try await runServer(services) { port in
                let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
                FileHandle.standardOutput.write(Data("""
                    medinfer: serving on http://\(host):\(port) \
                    (role \(configuration.role), \(configuration.workerCount) worker(s), data \(configuration.dataDirectory.path), \
                    queue \(configuration.queueLocation), models \(configuration.modelsDirectory.path))\n
                    """.utf8))
            }
        } catch {
            throw CLIError.internal("\(error)")
        }
    }
}
