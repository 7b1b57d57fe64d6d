import HTTPTypes
import Hummingbird

/// `GET /metrics` (Prometheus text; open unless `openMetrics` is false, then admin only) and `GET /openapi.json`.
struct OperationsController {
    let services: ServerServices

    func addRoutes(to router: Router<ServerContext>) {
        router.get("metrics", use: metrics)
        router.get("openapi.json", use: openAPI)
    }

    @Sendable func openAPI(_ request: Request, context: ServerContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.json)))
    }

    @Sendable func metrics(_ request: Request, context: ServerContext) async throws -> Response {
        if !services.configuration.openMetrics { _ = try context.require(.admin) }
        return await Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: services.metrics.exposition())))
    }
}
