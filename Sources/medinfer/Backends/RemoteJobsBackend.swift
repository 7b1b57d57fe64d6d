import Inference
import Annotations
import Foundation
import JobQueue

/// The jobs of a running server (`--server`), through the HTTP API (docs/ARCHITECTURE.md §3.2). Answers decode
/// into the same types the local queue returns, so the commands print them identically.
struct RemoteJobsBackend: JobsBackend {
    let client: HTTPClient

    /// Sent as `multipart/form-data`, one file part per image named like a local submission (the file's
    /// last path component), assembled in a temporary file chunk by chunk and streamed from it.
    func submit(files: [String], model: String?, priority: Int, idempotencyKey: String?) async throws -> SubmittedJob {
        let boundary = "medinfer-\(UUID().uuidString)"
        let body = try Self.multipartFile(files, boundary: boundary)
        defer { try? FileManager.default.removeItem(at: body) }
        var query = [URLQueryItem(name: "priority", value: String(priority))]
        if let model { query.append(URLQueryItem(name: "model", value: model)) }
        var headers = ["Content-Type": "multipart/form-data; boundary=\(boundary)"]
        if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
        let (job, answer) = try await client.json(JobStatus.self, "POST", "/v1/jobs", query: query, headers: headers, bodyFile: body)
        return SubmittedJob(job: job, created: answer.status == 202)
    }

    func list(state: JobState?, limit: Int, cursor: String?) async throws -> JobPage {
        var query = [URLQueryItem(name: "limit", value: String(limit))]
        if let state { query.append(URLQueryItem(name: "status", value: state.rawValue)) }
        if let cursor { query.append(URLQueryItem(name: "cursor", value: cursor)) }
        return try await client.json(JobPage.self, "GET", "/v1/jobs", query: query).0
    }

    func status(_ id: String) async throws -> JobStatus {
        try await client.json(JobStatus.self, "GET", "/v1/jobs/\(Self.segment(id))").0
    }

    func cancel(_ id: String) async throws -> JobStatus {
        try await client.json(JobStatus.self, "DELETE", "/v1/jobs/\(Self.segment(id))").0
    }

    func result(_ id: String) async throws -> JobReports {
        try await client.json(JobReports.self, "GET", "/v1/jobs/\(Self.segment(id))/result", query: [URLQueryItem(name: "format", value: "json")]).0
    }

    func structuredReport(_ id: String) async throws -> Data {
        try await client.send("GET", "/v1/jobs/\(Self.segment(id))/result", query: [URLQueryItem(name: "format", value: "sr")]).body
    }

    func overlay(job: String, image: Int) async throws -> Data {
        try await client.send("GET", "/v1/jobs/\(Self.segment(job))/images/\(image)/overlay.png").body
    }

    func worklist(includeReviewed: Bool) async throws -> [WorklistItem] {
        try await client.json([WorklistItem].self, "GET", "/v1/reviews/worklist",
                        query: includeReviewed ? [URLQueryItem(name: "all", value: "true")] : []).0
    }

    func reviews(for id: String) async throws -> [Review] {
        try await client.json([Review].self, "GET", "/v1/jobs/\(Self.segment(id))/reviews").0
    }

    /// The server records the API key's name as the reviewer; `reviewer` must be nil (the command refuses
    /// `--reviewer` with a server).
    func recordReview(job: String, agree: Bool, comment: String?, reviewer: String?) async throws -> Review {
        struct Body: Encodable { var agree: Bool; var comment: String? }
        let body = try JSONEncoder().encode(Body(agree: agree, comment: comment))
        return try await client.json(Review.self, "POST", "/v1/jobs/\(Self.segment(job))/reviews",
                               headers: ["Content-Type": "application/json"], body: body).0
    }

    /// A job id as one path segment (ids are UUIDs; anything else is escaped, never a path of its own).
    static func segment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? id
    }

    /// Writes the multipart body to a temporary file, copying each image in 1 MiB chunks.
    static func multipartFile(_ files: [String], boundary: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: url.path, contents: nil), let out = try? FileHandle(forWritingTo: url) else {
            throw CLIError.input(url.path, "cannot create the temporary upload file")
        }
        defer { try? out.close() }
        do {
            for file in files {
                // The server's multipart parser splits parameters on ';' and strips quotes: keep names plain.
                let name = String((file as NSString).lastPathComponent.map { "\";\\\r\n".contains($0) ? "_" : $0 })
                try out.write(contentsOf: Data("""
                    --\(boundary)\r
                    Content-Disposition: form-data; name="file"; filename="\(name)"\r
                    Content-Type: application/octet-stream\r
                    \r

                    """.utf8))
                guard let input = FileHandle(forReadingAtPath: file) else { throw CLIError.input(file, "cannot be read") }
                defer { try? input.close() }
                while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                    try out.write(contentsOf: chunk)
                }
                try out.write(contentsOf: Data("\r\n".utf8))
            }
            try out.write(contentsOf: Data("--\(boundary)--\r\n".utf8))
        } catch let error as CLIError {
            try? FileManager.default.removeItem(at: url)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: url)
            throw CLIError.input(url.path, "cannot write the upload: \((error as NSError).localizedDescription)")
        }
        return url
    }
}
