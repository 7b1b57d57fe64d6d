/// Where one version stands.
public enum VersionState: Sendable, Equatable, CustomStringConvertible {
    case verified
    /// Failed verification; never served.
    case refused(reason: String)
    /// On disk but not (yet) checked by `reload()`.
    case unverified

    public var description: String {
        switch self {
        case .verified: return "verified"
        case .refused(let reason): return "refused: \(reason)"
        case .unverified: return "unverified"
        }
    }
}

/// One version of a model as `ModelRepository.models()` reports it.
public struct VersionStatus: Sendable, Equatable {
    public var version: Int
    public var state: VersionState
    /// SHA-256 of `model.onnx` (verified versions).
    public var sha256: String?
    public var task: ModelManifest.Task?
}

/// A model name, its versions and which one serves.
public struct ModelStatus: Sendable, Equatable {
    public var name: String
    /// Ascending by version.
    public var versions: [VersionStatus]
    public var active: Int?
    /// The version named by `ACTIVE`, if any (it serves only when verified).
    public var pinned: Int?
    /// Taken out of service by `ModelRepository.unload(_:)` (in this process) until `load(_:)`.
    public var unloaded = false

    /// SHA-256 of the active version's `model.onnx`.
    public var sha256: String? { versions.first { $0.version == active }?.sha256 }
    /// The active version's task.
    public var task: ModelManifest.Task? { versions.first { $0.version == active }?.task }
}

/// What a `reload()` (or `activate`/`rollback`) changed.
public enum ModelEvent: Sendable, Equatable, CustomStringConvertible {
    case verified(name: String, version: Int)
    case refused(name: String, version: Int, reason: String)
    /// The version's folder disappeared.
    case removed(name: String, version: Int)
    /// `version` serves `name` now (`previous` served before; nil: nothing did).
    case activated(name: String, version: Int, previous: Int?)
    /// No version of `name` can serve any more.
    case deactivated(name: String, previous: Int)

    public var description: String {
        switch self {
        case let .verified(name, version): return "\(name) \(version): verified"
        case let .refused(name, version, reason): return "\(name) \(version): refused: \(reason)"
        case let .removed(name, version): return "\(name) \(version): removed"
        case let .activated(name, version, previous):
            return "\(name) \(version): active" + (previous.map { " (was \($0))" } ?? "")
        case let .deactivated(name, previous): return "\(name): no active version (was \(previous))"
        }
    }
}

/// The outcome of re-checking one version (`ModelRepository.verify`).
public struct VerificationResult: Sendable, Equatable {
    public var name: String
    public var version: Int
    /// nil when checksums, signature and every canary passed.
    public var failure: String?
    /// SHA-256 of `model.onnx` as read now.
    public var sha256: String?
    /// Canary checks run.
    public var checks: Int
    public var passed: Bool { failure == nil }
}
