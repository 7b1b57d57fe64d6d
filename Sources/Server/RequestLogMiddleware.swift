import Foundation
import HTTPTypes
import Hummingbird
import Logging

extension HTTPField.Name {
    /// The request id a client (or a proxy before us) may send; echoed on every answer.
    static let requestID = Self("X-Request-Id")!
}

/// One log line per request: request id (the client's `X-Request-Id` when it is a sane token, else a new
/// UUID, echoed in the answer), method, matched route pattern (never the raw path), status, duration in
/// ms and the job id when the request names or creates one. Nothing else: no headers (API keys), no query,
/// no bodies, so no patient data reaches the log.
///
/// The outermost middleware: it also turns errors into answers here, so error answers carry the request id.
struct RequestLogMiddleware: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: ServerContext,
                next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let id = Self.requestID(request.headers[.requestID])
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            // Not a typed answer: a bug. The detail stays in the log; the client gets the request id to quote.
            logger.error("unhandled error", metadata: ["request_id": .string(id), "error": .string("\(type(of: error))")])
            response = try Problem.internalError("internal error; quote request id \(id)").response(from: request, context: context)
        }
        response.headers[.requestID] = id
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var metadata: Logger.Metadata = [
            "request_id": .string(id),
            "method": .string(request.method.rawValue),
            "route": .string(context.endpointPath ?? "unmatched"),
            "status": .stringConvertible(Int(response.status.code)),
            "duration_ms": .string(String(format: "%.1f", ms)),
        ]
        if let job = Self.jobID(context: context, response: response) { metadata["job_id"] = .string(job) }
        logger.info("request", metadata: metadata)
        return response
    }

    /// The client's id when it is 1...128 characters of `[A-Za-z0-9._:-]` (so it cannot forge log lines or
    /// smuggle data), else a new one.
    static func requestID(_ sent: String?) -> String {
        if let sent, (1...128).contains(sent.utf8.count),
           sent.utf8.allSatisfy({ $0 < 0x80 && (isalnum(Int32($0)) != 0 || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
                                                || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-")) }) {
            return sent
        }
        return UUID().uuidString.lowercased()
    }

    /// The job a `/v1/jobs/{id}...` route named, or the one a submission created (its `Location`).
    static func jobID(context: ServerContext, response: Response) -> String? {
        if context.endpointPath?.hasPrefix("/v1/jobs/") == true, let id = context.parameters.get("id") { return id }
        if let location = response.headers[.location], location.hasPrefix("/v1/jobs/") {
            return String(location.dropFirst("/v1/jobs/".count))
        }
        return nil
    }
}
