import Foundation
public import HTTPTypes
public import Hummingbird

/// An RFC 7807 `application/problem+json` error answer. Controllers throw it (or a library error mapped to
/// it); Hummingbird turns it into the response.
public struct Problem: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var title: String
    public var detail: String
    /// Seconds, for 429 and 503.
    public var retryAfter: Int?
    /// Extra members (e.g. `errors`, `job`).
    public var extra: [String: String] = [:]

    public init(_ status: HTTPResponse.Status, _ title: String, detail: String, retryAfter: Int? = nil,
                extra: [String: String] = [:]) {
        self.status = status
        self.title = title
        self.detail = detail
        self.retryAfter = retryAfter
        self.extra = extra
    }

    /// `type` names the kind of problem under our own namespace; clients may match on it.
    var type: String { "https://medinfer.local/problems/\(title.lowercased().replacingOccurrences(of: " ", with: "-"))" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var object: [String: Any] = ["type": type, "title": title, "status": Int(status.code), "detail": detail,
                                     "instance": request.uri.path]
        for (k, v) in extra { object[k] = v }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func unauthorized(_ detail: String) -> Problem { Problem(.unauthorized, "Unauthorized", detail: detail) }
    static func forbidden(_ detail: String) -> Problem { Problem(.forbidden, "Forbidden", detail: detail) }
    static func notFound(_ detail: String) -> Problem { Problem(.notFound, "Not Found", detail: detail) }
    static func badRequest(_ detail: String) -> Problem { Problem(.badRequest, "Bad Request", detail: detail) }
    static func unsupportedMediaType(_ detail: String) -> Problem {
        Problem(.unsupportedMediaType, "Unsupported Media Type", detail: detail)
    }
    static func internalError(_ detail: String) -> Problem { Problem(.internalServerError, "Internal Error", detail: detail) }
    static func notReady(_ detail: String) -> Problem {
        Problem(.serviceUnavailable, "Not Ready", detail: detail, retryAfter: 5)
    }
}

/// A KServe V2 error answer: `{"error": "..."}` as the Open Inference Protocol defines it.
struct KServeError: HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: ["error": message])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
