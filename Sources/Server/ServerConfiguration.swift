public import Foundation
public import Models

/// Everything `buildApplication` needs: where to listen, where the data and models live, and the limits.
/// `medinfer serve` fills it from flags, falling back to `MEDINFER_*` environment variables
/// (`init(environment:)`), then to these defaults.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var port = 8080
    /// What this process does: the job API, the workers, or both (default).
    public var role = ServerRole.all
    /// The job queue's data directory (an old `keys.sqlite` there is imported into the queue's database).
    public var dataDirectory = URL(fileURLWithPath: ".medinfer", isDirectory: true)
    /// The queue's database: embedded SQLite in the data directory (default) or PostgreSQL.
    public var database = QueueDatabase.embedded
    /// The queue's blobs (images, reports) when not `<data>/blobs`: a directory every node shares.
    public var blobDirectory: URL?
    public var modelsDirectory = URL(fileURLWithPath: "Models", isDirectory: true)
    /// Verify model versions in a child process first (`medinfer serve` sets it to itself), so that a model
    /// that traps the engine is refused instead of taking the server down; nil verifies in-process (tests).
    public var verifierIsolation: VerifierIsolation?
    /// The model jobs run on when a request names none; nil: the first model (by name) with a verified version.
    public var defaultModel: String?
    /// In-process workers draining the queue (each one engine owner); none when `role` is `.api`.
    public var workers = 1
    /// Overrides the manifests' `batching.maxBatchSize`.
    public var maxBatch: Int?
    /// Overrides the manifests' `batching.maxDelayMs`.
    public var maxDelayMs: Int?
    /// Engine threads per worker.
    public var threads = 1
    /// Largest accepted request body (one image or a whole multipart upload); larger ones get 413.
    public var maxBodyBytes: Int64 = 2 << 30
    /// Waiting images above which submissions get 429.
    public var maxQueuedImages = 10_000
    /// When false `GET /metrics` needs an admin key.
    public var openMetrics = true
    /// DICOM listener port (C-ECHO, C-STORE); nil: no listener. 0 picks a free port (tests).
    public var dicomPort: Int?
    /// Our AE title: the called AE title the listener answers to (besides those of `aeModels`).
    public var aeTitle = "MEDINFER"
    /// Calling peers allowed to associate (`AE@host`, `AE`, `@host`); empty: anyone.
    public var dicomAllow: [String] = []
    /// Called AE title -> model reference (`NAME[:VERSION]`) for the jobs of that AE title.
    public var aeModels: [String: String] = [:]
    /// DICOM associations served at once.
    public var dicomMaxAssociations = 16
    /// Largest instance (data set bytes) accepted over DICOM; reassembled in memory, so the worst case is
    /// `dicomMaxAssociations * dicomMaxInstanceBytes`.
    public var dicomMaxInstanceBytes = 256 << 20
    /// How long (ms) a study received over DICOM waits for more instances, from later associations, before
    /// its job is made; 0 (or less): each association's studies become jobs at A-RELEASE.
    ///
    /// Default 5 s, as MONAI Informatics Gateway's per-AE `timeout` (5 s) that groups a study's instances
    /// before notifying; Orthanc's `StableAge` (60 s) is meant for archiving, where waiting costs nothing,
    /// while a result is wanted soon here. Modalities and PACS routers that split a study over several
    /// associations open them back to back, well within 5 s.
    public var dicomQuietPeriodMs = 5_000

    public init() {}

    /// Where the queue lives: `dataDirectory`, `database`, `blobDirectory`.
    public var queueLocation: QueueLocation {
        QueueLocation(dataDirectory: dataDirectory, database: database, blobDirectory: blobDirectory)
    }

    /// The in-process workers this configuration runs: `workers`, or none on an api node.
    public var workerCount: Int { role.runsInference ? max(workers, 0) : 0 }

    /// The defaults overridden by `MEDINFER_ROLE`, `MEDINFER_HOST`, `MEDINFER_PORT`, `MEDINFER_DATA_DIR`,
    /// `MEDINFER_DATABASE`, `MEDINFER_BLOB_DIR`, `MEDINFER_MODELS_DIR`,
    /// `MEDINFER_DEFAULT_MODEL`, `MEDINFER_WORKERS`, `MEDINFER_MAX_BATCH`, `MEDINFER_MAX_DELAY_MS`,
    /// `MEDINFER_THREADS`, `MEDINFER_MAX_BODY_BYTES`, `MEDINFER_MAX_QUEUED_IMAGES`, `MEDINFER_METRICS_OPEN` (0/1), `MEDINFER_DICOM_PORT`, `MEDINFER_AE_TITLE`,
    /// `MEDINFER_DICOM_QUIET_PERIOD_MS`.
    /// - Throws: `ServerConfigurationError` naming the variable whose value is not valid.
    public init(environment: [String: String]) throws(ServerConfigurationError) {
        self.init()
        func int(_ key: String) throws(ServerConfigurationError) -> Int? {
            guard let text = environment[key] else { return nil }
            guard let value = Int(text) else { throw ServerConfigurationError(variable: key, value: text, expected: "an integer") }
            return value
        }
        if let v = environment["MEDINFER_ROLE"] {
            guard let r = ServerRole(rawValue: v) else {
                throw ServerConfigurationError(variable: "MEDINFER_ROLE", value: v, expected: "api, worker or all")
            }
            role = r
        }
        do { database = try QueueDatabase(parsing: environment["MEDINFER_DATABASE"]) } catch {
            // Without the value: it may hold a password.
            throw ServerConfigurationError(variable: "MEDINFER_DATABASE", value: nil, expected: error.description)
        }
        if let v = environment["MEDINFER_BLOB_DIR"], !v.isEmpty { blobDirectory = URL(fileURLWithPath: v, isDirectory: true) }
        if let v = environment["MEDINFER_HOST"] { host = v }
        if let v = try int("MEDINFER_PORT") { port = v }
        if let v = environment["MEDINFER_DATA_DIR"] { dataDirectory = URL(fileURLWithPath: v, isDirectory: true) }
        if let v = environment["MEDINFER_MODELS_DIR"] ?? environment["MEDINFER_MODELS"] {
            modelsDirectory = URL(fileURLWithPath: v, isDirectory: true)
        }
        if let v = environment["MEDINFER_DEFAULT_MODEL"] { defaultModel = v }
        if let v = try int("MEDINFER_WORKERS") { workers = v }
        if let v = try int("MEDINFER_MAX_BATCH") { maxBatch = v }
        if let v = try int("MEDINFER_MAX_DELAY_MS") { maxDelayMs = v }
        if let v = try int("MEDINFER_THREADS") { threads = v }
        if let v = try int("MEDINFER_MAX_BODY_BYTES") { maxBodyBytes = Int64(v) }
        if let v = try int("MEDINFER_MAX_QUEUED_IMAGES") { maxQueuedImages = v }
        if let v = try int("MEDINFER_METRICS_OPEN") { openMetrics = v != 0 }
        if let v = try int("MEDINFER_DICOM_PORT") { dicomPort = v }
        if let v = environment["MEDINFER_AE_TITLE"] { aeTitle = v }
        if let v = try int("MEDINFER_DICOM_QUIET_PERIOD_MS") { dicomQuietPeriodMs = v }
    }
}

/// An environment variable whose value could not be read.
public struct ServerConfigurationError: Error, Sendable, CustomStringConvertible {
    public var variable: String
    /// nil when the value must not be printed (a database URL may hold a password).
    public var value: String?
    /// What was expected, or what is wrong.
    public var expected: String
    public var description: String {
        value.map { "\(variable)=\($0): expected \(expected)" } ?? "\(variable): \(expected)"
    }
}
