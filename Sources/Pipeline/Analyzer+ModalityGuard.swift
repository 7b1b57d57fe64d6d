import Foundation
import Models

extension Analyzer {
    /// The strict half of the modality guard: when the model's `modalityPolicy` is `strict`, an image whose
    /// DICOM Modality (nil: none, as for PNG and JPEG) is not among the accepted ones is refused before
    /// any work is spent on it. With `warn`, `guardWarnings` notes it in the report instead.
    func refuseUnacceptedModality(_ modality: String?, path: String?) throws(PipelineError) {
        let input = preprocessor.input
        guard input.modalityPolicy == .strict, let accepted = input.modalities, !accepted.isEmpty else { return }
        if let modality, Self.matches(accepted, modality) { return }
        throw .modalityRefused(file: path, modality: modality, accepted: accepted)
    }

    /// Case-insensitive membership: DICOM code strings are upper case, hand-written manifests may not be.
    static func matches(_ list: [String], _ value: String) -> Bool {
        list.contains { $0.caseInsensitiveCompare(value) == .orderedSame }
    }
}
