public import Core
public import Engine
public import Foundation
public import Tensor

/// A verified, compiled model version. Immutable: whoever holds one keeps running on its plans even
/// after another version becomes active, so work already started finishes on the version it began with.
public final class LoadedModel: Sendable {
    public let manifest: ModelManifest
    /// `<root>/<name>/<version>`
    public let directory: URL
    /// SHA-256 (lowercase hex) of `model.onnx` as verified.
    public let sha256: String
    /// The compiled engine model.
    public let model: Engine.Model

    public var name: String { manifest.name }
    public var version: Int { manifest.version }
    /// The reference jobs and reports record: name, version and these weights.
    public var ref: ModelRef { ModelRef(name: name, version: version, sha256: sha256) }

    public init(manifest: ModelManifest, directory: URL, sha256: String, model: Engine.Model) {
        self.manifest = manifest
        self.directory = directory
        self.sha256 = sha256
        self.model = model
    }

    /// Runs the compiled model once (plans are cached per input shapes); `extraOutputs` are intermediate
    /// values of the optimised graph returned too (`Engine.Model.plan(for:extraOutputs:)`).
    public func run(_ inputs: [String: Tensor], extraOutputs: [String] = []) throws(EngineError) -> [String: Tensor] {
        try model.run(inputs, extraOutputs: extraOutputs)
    }
}
