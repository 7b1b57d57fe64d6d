import Inference
import Annotations
import Foundation
import HTTPTypes
import Hummingbird
import JobQueue
import Models

/// The native job API, `/v1/jobs` (docs/ARCHITECTURE.md §3.2), and the reviewers' verdicts on its results.
struct JobsController {
    let services: ServerServices

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.post(use: submit)
        group.get(use: list)
        group.get(":id", use: show)
        group.delete(":id", use: cancel)
        group.get(":id/result", use: result)
        group.get(":id/images/:index/overlay.png", use: overlay)
        group.post(":id/reviews", use: review)
        group.get(":id/reviews", use: reviews)
    }

    /// `POST /v1/jobs`: 202 with the job and `Location` (200 for an idempotent resubmission).
    @Sendable func submit(_ request: Request, context: ServerContext) async throws -> Response {
        let key = try context.require(.submitter)
        let priority = try Self.priority(request.uri.queryParameters["priority"].map(String.init))
        let model = try services.resolveModel(request.uri.queryParameters["model"].map(String.init))
        let idempotencyKey = request.headers[HTTPField.Name("Idempotency-Key")!]
        let receiver = UploadReceiver(directory: services.configuration.dataDirectory.appendingPathComponent("http-uploads"),
                                      maxBytes: services.configuration.maxBodyBytes)
        let images = try await receiver.receive(request)
        defer { receiver.discard(images) }
        let submission = try await queueCall { () async throws(JobQueueError) in
            var uploads: [ImageUpload] = []
            for image in images {
                let upload = try await services.queue.beginUpload(name: image.name)
                try await upload.write(contentsOf: image.file)
                uploads.append(upload)
            }
            return try await services.queue.submit(uploads, model: model.ref, priority: priority, idempotencyKey: idempotencyKey,
                                             recording: { [owner = key.id] tx, job in try await APIKeyStore.recordOwner(tx, job: job, key: owner) })
        }
        var response = try Self.json(submission.job, status: submission.created ? .accepted : .ok)
        response.headers[.location] = "/v1/jobs/\(submission.job.id)"
        return response
    }

    /// `GET /v1/jobs/{id}`.
    @Sendable func show(_ request: Request, context: ServerContext) async throws -> Response {
        let id = try context.parameters.require("id")
        try await authorizeRead(id, context: context)
        return try Self.json(try await queueCall { () async throws(JobQueueError) in try await services.queue.status(id) })
    }

    /// `GET /v1/jobs?status=&limit=&cursor=`: newest first; a submitter sees only its own jobs.
    @Sendable func list(_ request: Request, context: ServerContext) async throws -> Response {
        let key = try context.require(.submitter)
        let query = request.uri.queryParameters
        var state: JobState?
        if let s = query["status"].map(String.init) {
            guard let parsed = JobState(rawValue: s) else {
                throw Problem.badRequest("status=\(s): expected one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            state = parsed
        }
        var limit = 50
        if let l = query["limit"].map(String.init) {
            guard let parsed = Int(l) else { throw Problem.badRequest("limit=\(l): expected an integer 1...1000") }
            limit = parsed
        }
        let cursor = query["cursor"].map(String.init)
        var page = try await queueCall { () async throws(JobQueueError) in try await services.queue.list(state: state, limit: limit, cursor: cursor) }
        if !key.role.satisfies(.reviewer) {
            let mine = try await keyCall { () async throws(APIKeyError) in try await services.keys.owned(by: key.id, among: page.jobs.map(\.id)) }
            page.jobs.removeAll { !mine.contains($0.id) }
        }
        return try Self.json(page)
    }

    /// `DELETE /v1/jobs/{id}`: cancels a queued job (409 otherwise).
    @Sendable func cancel(_ request: Request, context: ServerContext) async throws -> Response {
        let id = try context.parameters.require("id")
        try await authorizeRead(id, context: context)
        return try Self.json(try await queueCall { () async throws(JobQueueError) in try await services.queue.cancel(id) })
    }

    /// `GET /v1/jobs/{id}/result[?format=json|sr]`.
    @Sendable func result(_ request: Request, context: ServerContext) async throws -> Response {
        let id = try context.parameters.require("id")
        try await authorizeRead(id, context: context)
        let name = request.uri.queryParameters["format"].map(String.init) ?? ResultFormat.json.rawValue
        guard let format = ResultFormat(rawValue: name) else {
            throw Problem(.notAcceptable, "Not Acceptable", detail: "format=\(name): expected \(ResultFormat.choices)")
        }
        let result = try await queueCall { () async throws(JobQueueError) in try await services.queue.result(id) }
        switch format {
        case .json:
            return try Self.json(JobResultBody(job: result.job, reports: result.reports.map { $0.servingOverlays() }))
        case .sr:
            return try await structuredReport(result)
        }
    }

    /// `GET /v1/jobs/{id}/images/{index}/overlay.png`.
    @Sendable func overlay(_ request: Request, context: ServerContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let index = try context.parameters.require("index", as: Int.self)
        try await authorizeRead(id, context: context)
        _ = try await queueCall { () async throws(JobQueueError) in try await services.queue.status(id) }
        let artifact: (data: Data, mediaType: String)
        do { artifact = try await services.queue.artifact(job: id, image: index, name: Artifact.overlayName) } catch {
            if case .notFound = error {
                throw Problem.notFound("job \(id) has no overlay for image \(index) (not finished, failed, or the model makes none)")
            }
            throw error.problem
        }
        return Response(status: .ok, headers: [.contentType: artifact.mediaType],
                        body: .init(byteBuffer: ByteBuffer(bytes: artifact.data)))
    }

    /// A submitter reads only its own jobs (404 for others', so ids of other clients are not confirmed);
    /// reviewers and admins read all.
    func authorizeRead(_ id: String, context: ServerContext) async throws {
        let key = try context.require(.submitter)
        guard !key.role.satisfies(.reviewer) else { return }
        let owner = try await keyCall { () async throws(APIKeyError) in try await services.keys.owner(job: id) }
        guard owner == key.id else { throw Problem.notFound("no job \(id)") }
    }

    static func priority(_ text: String?) throws(Problem) -> Int {
        guard let text else { return 5 }
        guard let p = Int(text), (0...9).contains(p) else {
            throw Problem.badRequest("priority=\(text): expected an integer 0...9 (9 most urgent)")
        }
        return p
    }

    /// Sorted JSON, as the CLI's `--json` prints it.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

/// `GET /v1/jobs/{id}/result` as JSON: the job and one report per succeeded image.
struct JobResultBody: Encodable {
    var job: JobStatus
    var reports: [Report]
}
