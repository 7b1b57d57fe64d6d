/// Why an image could not be analysed.
public enum PipelineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The manifest lacks something the pipeline needs (an input, a size, ...).
    case unsupportedManifest(String)
    /// Decoding the pixel values for the model failed.
    case image(String)
    /// The engine failed or returned something the manifest does not describe.
    case engine(String)
    /// The manifest's `preprocessing.frame` does not exist in the image.
    case frameOutOfRange(frame: Int, count: Int)
    /// The model's `modalityPolicy` is `strict` and the image's DICOM Modality (nil: none) is not accepted.
    case modalityRefused(file: String?, modality: String?, accepted: [String])

    public var description: String {
        switch self {
        case .unsupportedManifest(let s): "model manifest not supported: \(s)"
        case .image(let s): s
        case .engine(let s): "inference failed: \(s)"
        case let .frameOutOfRange(frame, count):
            "the model's manifest asks for frame \(frame), but the image has \(count) frame\(count == 1 ? "" : "s")"
        case let .modalityRefused(file, modality, accepted):
            "\(file.map { "\($0): " } ?? "")refused: "
                + (modality.map { "modality \($0) is not" } ?? "the modality is unknown (no DICOM Modality) and so not")
                + " among the model's accepted modalities [\(accepted.joined(separator: ", "))] (modalityPolicy strict)"
        }
    }

    /// The file the error names itself, if any (so a caller need not name it again).
    public var file: String? {
        if case .modalityRefused(let file, _, _) = self { return file }
        return nil
    }
}
