public import Models

/// The exact model version a job runs on, fixed at submission: later activations do not move queued
/// jobs to other weights.
public struct ModelIdentity: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var version: Int
    /// SHA-256 of `model.onnx`; the worker refuses a job whose version's weights changed since.
    public var sha256: String

    public init(name: String, version: Int, sha256: String) {
        self.name = name
        self.version = version
        self.sha256 = sha256
    }

    public init(_ model: LoadedModel) {
        self.init(name: model.name, version: model.version, sha256: model.sha256)
    }

    public var description: String { "\(name):\(version)" }
}
