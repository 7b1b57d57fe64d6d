/// What one `medinfer serve` process does (`--role`, `MEDINFER_ROLE`), so front ends and workers scale
/// separately on one shared queue: workers claim batches across the jobs of every front end.
public enum ServerRole: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Front end: the job API, STOW-RS, reviews, the DICOM listener, model metadata and readiness. No job
    /// workers and no inference: KServe `infer` answers 503 naming the worker role.
    case api
    /// Back end: job workers and KServe inference (the engines). The job API, reviews and STOW-RS answer
    /// 503 naming the api role.
    case worker
    /// Both in one process (the default).
    case all

    /// The job API, reviews, STOW-RS and the DICOM listener.
    public var servesJobAPI: Bool { self != .worker }
    /// Job workers and KServe inference.
    public var runsInference: Bool { self != .api }

    public var description: String { rawValue }
}
