import HTTPTypes
import Hummingbird
import JobQueue

extension JobQueueError {
    /// The HTTP answer for a queue failure: the client's mistakes are 4xx, ours 5xx (507 for a full disk).
    var problem: Problem {
        switch self {
        case .notFound: .notFound(description)
        case .idempotencyConflict(_, let job): Problem(.conflict, "Conflict", detail: description, extra: ["job": job])
        case .queueFull(_, _, let retry): Problem(.tooManyRequests, "Queue Full", detail: description, retryAfter: retry)
        case .notCancellable, .notReviewable: Problem(.conflict, "Conflict", detail: description)
        case .invalidArgument: .badRequest(description)
        case .storage: Problem(.init(code: 507, reasonPhrase: "Insufficient Storage"), "Insufficient Storage", detail: description)
        case .database: Problem(.serviceUnavailable, "Database Unavailable", detail: description, retryAfter: 5)
        }
    }
}

/// Runs a synchronous queue call, translating its error to problem+json.
func queueCall<T>(_ body: () async throws(JobQueueError) -> T) async throws(Problem) -> T {
    do { return try await body() } catch { throw error.problem }
}

/// Runs a key-store call; its failures are ours (500).
func keyCall<T>(_ body: () async throws(APIKeyError) -> T) async throws(Problem) -> T {
    do { return try await body() } catch { throw Problem.internalError(error.description) }
}
