import Engine
public import Foundation
public import JobQueue
public import Models

/// The libraries one application serves: the queue, the model repository and the key store (in the queue's
/// database).
/// Controllers only translate HTTP to calls on these.
public struct ServerServices: Sendable {
    public let configuration: ServerConfiguration
    public let queue: JobQueue
    public let models: ModelRepository
    public let keys: APIKeyStore
    /// What opening did with an old `<data>/keys.sqlite` (for the log).
    public let legacyKeys: LegacyKeyImport
    let metrics: ServerMetrics

    /// Opens the queue (`configuration.queueLocation`) and its keys, importing the data directory's old
    /// `keys.sqlite` if there is one (`legacyKeys`), and the model repository (not yet loaded).
    /// - Throws: `QueueLocationError` for the queue, `APIKeyError` for the keys.
    public init(configuration: ServerConfiguration) async throws {
        try await self.init(configuration: configuration,
                            queue: try await openQueue(configuration.queueLocation, configuration: Self.queueConfiguration(configuration)))
    }

    /// The services on a queue opened elsewhere (tests pass one on `SQLiteQueueStore(inMemory:)` with
    /// `serverMigrations`); the configuration's queue location is not used.
    public init(configuration: ServerConfiguration, queue: JobQueue) async throws {
        self.configuration = configuration
        self.queue = queue
        models = ModelRepository(root: configuration.modelsDirectory, options: .init(threads: configuration.threads, profile: .fromEnvironment()),
                                 isolation: configuration.verifierIsolation)
        keys = APIKeyStore(queue: queue)
        legacyKeys = try await keys.importLegacyKeys(from: configuration.dataDirectory)
        metrics = ServerMetrics(queue: queue)
    }

    /// The queue settings `configuration` asks for (the queue limit).
    public static func queueConfiguration(_ configuration: ServerConfiguration) -> JobQueue.Configuration {
        var queueConfiguration = JobQueue.Configuration()
        queueConfiguration.maxQueuedImages = configuration.maxQueuedImages
        return queueConfiguration
    }

    /// The model a request without `model=` runs on: the configured default's active version, else the
    /// first model (by name) that has one; nil while none is verified.
    var defaultModel: LoadedModel? {
        if let name = configuration.defaultModel { return models.active(name) }
        return models.models().lazy.compactMap { models.active($0.name) }.first
    }

    /// `NAME[:VERSION]`, or the default, as a verified version; 400 for a malformed or unknown reference,
    /// 503 while the default is not loaded.
    func resolveModel(_ reference: String?) throws(Problem) -> LoadedModel {
        guard let reference, !reference.isEmpty else {
            guard let model = defaultModel else { throw Problem.notReady("the default model is not loaded yet") }
            return model
        }
        let parts = reference.split(separator: ":", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            guard let version = Int(parts[1]) else {
                throw Problem.badRequest("model=\(reference): expected NAME[:VERSION] with an integer version")
            }
            guard let model = models.model(parts[0], version: version) else {
                let why = models.refusal(parts[0], version: version).map { " (refused: \($0))" } ?? ""
                throw Problem.badRequest("model=\(reference): no verified version \(version) of '\(parts[0])'\(why)")
            }
            return model
        }
        guard let model = models.active(reference) else {
            throw Problem.badRequest("model=\(reference): no model of that name has a verified version")
        }
        return model
    }
}
