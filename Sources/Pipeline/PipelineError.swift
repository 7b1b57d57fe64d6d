/// Why an image could not be analysed.
public enum PipelineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The manifest lacks something the pipeline needs (an input, a size, ...).
    case unsupportedManifest(String)
    /// Decoding the pixel values for the model failed.
    case image(String)
    /// The engine failed or returned something the manifest does not describe.
    case engine(String)

    public var description: String {
        switch self {
        case .unsupportedManifest(let s): "model manifest not supported: \(s)"
        case .image(let s): s
        case .engine(let s): "inference failed: \(s)"
        }
    }
}
