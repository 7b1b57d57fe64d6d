import Foundation
import Hummingbird
import JobQueue

extension JobsController {
    /// `POST /v1/jobs/{id}/reviews` body.
    struct ReviewBody: Decodable {
        var agree: Bool
        var comment: String?
    }

    /// `POST /v1/jobs/{id}/reviews` (reviewer role): records the verdict under the API key's name, appended to
    /// the audit trail in the same transaction; 201 with the review, 409 when the job has not succeeded.
    @Sendable func review(_ request: Request, context: ServerContext) async throws -> Response {
        let key = try context.require(.reviewer)
        let id = try context.parameters.require("id")
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        let body: ReviewBody
        do { body = try JSONDecoder().decode(ReviewBody.self, from: Data(buffer.readableBytesView)) } catch {
            throw Problem.badRequest("expected a JSON body {\"agree\": true|false, \"comment\": \"...\"}: \(error)")
        }
        let review = try await queueCall { () async throws(JobQueueError) in
            try await services.queue.recordReview(job: id, agree: body.agree, comment: body.comment, reviewer: key.name)
        }
        return try Self.json(review, status: .created)
    }
}

extension JobsController {
    /// `GET /v1/jobs/{id}/reviews` (reviewer role): every verdict on the job, oldest first (the last counts).
    @Sendable func reviews(_ request: Request, context: ServerContext) async throws -> Response {
        _ = try context.require(.reviewer)
        let id = try context.parameters.require("id")
        return try Self.json(try await queueCall { () async throws(JobQueueError) in try await services.queue.reviews(for: id) })
    }
}
