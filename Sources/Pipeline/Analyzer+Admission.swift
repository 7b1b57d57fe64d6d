public import Foundation
public import Imaging

/// Why a scan did not reach the engine: the one reading of admission and preparation failures, shared by
/// the worker and `medinfer analyze`. Both are permanent: the same bytes fail the same way again.
public enum ScanRefusal: Error, Sendable, CustomStringConvertible {
    /// The bytes are no image we read (`Imaging.Admission`).
    case undecodable(ImagingError)
    /// The model's preprocessing refuses the image (frame, window, size, the modality guard).
    case refused(PipelineError)

    public var description: String {
        switch self {
        case .undecodable(let error): "cannot decode the image: \(error)"
        case .refused(let error): "the model refuses the image: \(error)"
        }
    }
}

extension Analyzer {
    /// The first stage of a scan's run, the same for the worker and `medinfer analyze`: admitted (decoded
    /// once, `Imaging.Admission.admit`) and prepared for this model. Then `analyses` (on the engine) and the
    /// caller's outputs. CPU work: async callers run it on `Core.Blocking`.
    /// - Parameter name: the file name, kept in the report's source.
    public func admit(_ data: Data, name: String?) throws(ScanRefusal) -> (scan: AdmittedScan, prepared: Prepared) {
        let scan: AdmittedScan
        do { scan = try Admission.admit(data) } catch {
            guard case .undecodable(let cause) = error else { preconditionFailure("Admission.admit refuses only undecodable bytes") }
            throw .undecodable(cause)
        }
        do { return (scan, try prepare(AnalysisInput(image: scan.image, path: name))) } catch { throw .refused(error) }
    }
}
