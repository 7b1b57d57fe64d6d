import HTTPTypes
import Hummingbird

/// On a worker node (`--role worker`), answers the job API, reviews and STOW-RS with 503: those routes are
/// served by api nodes. 503 rather than 404, so that a client (or a load balancer retrying on another
/// upstream) never reads "no such job" from a node that simply does not serve jobs.
struct RoleMiddleware: RouterMiddleware {
    let role: ServerRole

    func handle(_ request: Request, context: ServerContext,
                next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if !role.servesJobAPI, path.hasPrefix("/v1/") || path == "/dicomweb" || path.hasPrefix("/dicomweb/") {
            throw Problem(.serviceUnavailable, "Not Served By This Node", detail: """
                this node runs with --role \(role): job workers and KServe inference only; the job API, reviews \
                and STOW-RS are served by nodes with --role api or all
                """, extra: ["role": role.rawValue])
        }
        return try await next(request, context)
    }
}
