import Inference
import Foundation
import Hummingbird
import JobQueue

/// `/v1/reviews`: the clinicians' worklist over HTTP (what `medinfer review` prints with `--server`).
struct ReviewsController {
    let services: ServerServices

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.get("worklist", use: worklist)
    }

    /// `GET /v1/reviews/worklist[?all=true]` (reviewer role): succeeded jobs not yet reviewed (with
    /// `all=true`, every succeeded job and its latest verdict), most urgent first: `JobQueue.worklist`.
    @Sendable func worklist(_ request: Request, context: ServerContext) async throws -> Response {
        _ = try context.require(.reviewer)
        let all: Bool
        switch request.uri.queryParameters["all"].map(String.init) {
        case nil, "false", "0": all = false
        case "true", "1": all = true
        case let other?: throw Problem.badRequest("all=\(other): expected true or false")
        }
        let items = try await queueCall { () async throws(JobQueueError) in try await services.queue.worklist(includeReviewed: all) }
        return try JobsController.json(items)
    }
}
