public import Core

/// What one engine run did, reported to `Worker.Options.observer` (the server turns it into metrics).
/// Never carries patient data: sizes, durations and the model version only.
public struct BatchRecord: Sendable {
    /// Job images claimed from the queue, or KServe V2 infer requests merged by `InferenceBatcher`.
    public enum Kind: String, Sendable {
        case jobs, infer
    }

    public var kind: Kind
    public var model: ModelRef
    /// Rows the engine ran at once (images of a job batch; the summed first dimension of merged requests).
    public var size: Int
    /// Requests (infer) or images (jobs) the batch answered.
    public var requests: Int
    /// Engine time of the batch.
    public var inference: Duration
    /// Submission to done, one entry per image recorded as finished (jobs: from the job's creation; infer:
    /// from the request reaching the batcher).
    public var endToEnd: [Duration]

    public init(kind: Kind, model: ModelRef, size: Int, requests: Int, inference: Duration, endToEnd: [Duration]) {
        self.kind = kind
        self.model = model
        self.size = size
        self.requests = requests
        self.inference = inference
        self.endToEnd = endToEnd
    }
}
