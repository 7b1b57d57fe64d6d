/// Why a manifest, a version or a repository operation was refused. Every message names the file or the
/// JSON path concerned: `resnet/2/model.json: outputs[0].labels: expected an array of strings, got a number`.
public enum ModelsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Reading, writing or listing a file or folder failed.
    case io(path: String, reason: String)
    /// The file is not valid JSON.
    case invalidJSON(file: String, reason: String)
    /// A manifest field is missing or has the wrong type or value; `path` is its JSON path.
    case manifest(file: String, path: String, reason: String)
    /// A file's SHA-256 differs from the manifest's.
    case checksumMismatch(file: String, expected: String, actual: String)
    /// The model's inputs or outputs disagree with the manifest.
    case signature(reason: String)
    /// The ONNX file could not be loaded or compiled by the engine.
    case load(file: String, reason: String)
    /// Canary check `index` (of the manifest's `checks`) failed.
    case canary(index: Int, reason: String)
    case unknownModel(name: String)
    case unknownVersion(name: String, version: Int)
    /// The version exists but failed verification.
    case refused(name: String, version: Int, reason: String)
    /// Rollback found no verified version below the active one.
    case noEarlierVersion(name: String, active: Int?)
    /// A model name that cannot be a folder name (empty, `.`-prefixed, with `/`).
    case invalidName(String)
    /// The child process that verifies versions (`VerifierIsolation`) refused `label` (NAME/VERSION),
    /// with its reason, or crashed on it.
    case refusedByVerifier(label: String, reason: String)

    public var description: String {
        switch self {
        case let .io(path, reason): return "\(path): \(reason)"
        case let .invalidJSON(file, reason): return "\(file): not valid JSON: \(reason)"
        case let .manifest(file, path, reason): return "\(file): \(path): \(reason)"
        case let .checksumMismatch(file, expected, actual):
            return "\(file): SHA-256 is \(actual), the manifest says \(expected)"
        case let .signature(reason): return "model does not match its manifest: \(reason)"
        case let .load(file, reason): return "\(file): \(reason)"
        case let .canary(index, reason): return "canary checks[\(index)] failed: \(reason)"
        case let .unknownModel(name): return "no model named '\(name)'"
        case let .unknownVersion(name, version): return "model '\(name)' has no version \(version)"
        case let .refused(name, version, reason): return "\(name) version \(version) was refused: \(reason)"
        case let .noEarlierVersion(name, active):
            return "\(name): no verified version below \(active.map(String.init) ?? "the active one") to roll back to"
        case let .refusedByVerifier(_, reason): return reason
        case let .invalidName(name): return "'\(name)' is not a valid model name (letters, digits, '-', '_', '.'; not starting with '.')"
        }
    }
}
