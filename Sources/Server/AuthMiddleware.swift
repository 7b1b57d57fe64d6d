import Foundation
import HTTPTypes
import Hummingbird

/// Authenticates `Authorization: Bearer <key>` on every route except health, metrics (when open) and the
/// API document: 401 without a key or with an unknown or revoked one. Roles are checked by each route
/// (`ServerContext.require`), which answers 403.
struct AuthMiddleware: RouterMiddleware {
    let keys: APIKeyStore
    let openMetrics: Bool

    func handle(_ request: Request, context: ServerContext,
                next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if isOpen(path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw refusal(path, "an API key is required (Authorization: Bearer <key>)")
        }
        let presented = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let key = try await keyCall({ () async throws(APIKeyError) in try await keys.authenticate(presented) }) else {
            throw refusal(path, "the API key is unknown or revoked")
        }
        var context = context
        context.key = key
        return try await next(request, context)
    }

    func isOpen(_ path: String) -> Bool {
        path == "/v2/health/live" || path == "/v2/health/ready" || path == "/openapi.json"
            || (openMetrics && path == "/metrics")
    }

    /// KServe routes answer `{"error": ...}`, the others problem+json.
    func refusal(_ path: String, _ detail: String) -> any Error {
        path.hasPrefix("/v2") ? KServeError(.unauthorized, detail) : Problem.unauthorized(detail)
    }
}
