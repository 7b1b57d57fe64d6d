import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Server
import TestSupport
import Testing

/// The job API over a real socket: submit -> in-process worker -> result, errors as problem+json.
@Suite(.serialized) struct JobsAPITests {
    @Test func rawPNGIsQueuedRunAndItsReportFetched() async throws {
        let server = try await TestServer()
        defer { server.remove() }
        let key = server.submitter
        try await server.inProcess { client in
            let posted = try await client.call("/v1/jobs?priority=7", .post, key: key,
                                               headers: [.contentType: "image/png"], body: try TestServer.png())
            #expect(posted.status == .accepted)
            let job = try posted.json()
            let id = try #require(job["id"] as? String)
            #expect(posted.headers[.location] == "/v1/jobs/\(id)")
            #expect(job["priority"] as? Int == 7)
            #expect((job["model"] as? [String: Any])?["name"] as? String == TinyModelRepository.name)

            let done = try await client.waitForJob(id, key: key)
            #expect(done["status"] as? String == "succeeded")

            let result = try await client.call("/v1/jobs/\(id)/result", .get, key: key)
            #expect(result.status == .ok)
            let reports = try #require(try result.json()["reports"] as? [[String: Any]])
            #expect(reports.count == 1)
            #expect((reports[0]["findings"] as? [[String: Any]])?.count == 3)
            // Stored reports name the overlay artifact; the API serves the route's path.
            #expect((reports[0]["overlays"] as? [[String: Any]])?.first?["path"] as? String == "/v1/jobs/\(id)/images/0/overlay.png")

            let sr = try await client.call("/v1/jobs/\(id)/result?format=sr", .get, key: key)
            #expect(sr.status == .ok)
            #expect(sr.headers[.contentType] == "application/dicom")
            #expect(Data(sr.body.readableBytesView).dropFirst(128).prefix(4) == Data("DICM".utf8))
            // Written once when the job finished: every request gets the same object (one SOP Instance UID).
            let again = try await client.call("/v1/jobs/\(id)/result?format=sr", .get, key: key)
            #expect(Data(again.body.readableBytesView) == Data(sr.body.readableBytesView))

            try await client.call("/v1/jobs/\(id)/result?format=xml", .get, key: key).expectProblem(.notAcceptable)
            // The tiny model's graph has a class activation map: the worker stored a heatmap overlay.
            let overlay = try await client.call("/v1/jobs/\(id)/images/0/overlay.png", .get, key: key)
            #expect(overlay.status == .ok && overlay.headers[.contentType] == "image/png")
            #expect(Data(overlay.body.readableBytesView).prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            try await client.call("/v1/jobs/\(id)/images/1/overlay.png", .get, key: key).expectProblem(.notFound)

            // A verdict: reviewers only, recorded under the key's name.
            let verdict = Data(#"{"agree": false, "comment": "artefact"}"#.utf8)
            try await client.call("/v1/jobs/\(id)/reviews", .post, key: key, headers: [.contentType: "application/json"],
                                  body: verdict).expectProblem(.forbidden)
            let reviewed = try await client.call("/v1/jobs/\(id)/reviews", .post, key: server.reviewer,
                                                 headers: [.contentType: "application/json"], body: verdict)
            #expect(reviewed.status == .created)
            let review = try reviewed.json()
            #expect(review["reviewer"] as? String == "dr" && review["agree"] as? Bool == false && review["job"] as? String == id)
            try await client.call("/v1/jobs/\(id)/reviews", .post, key: server.reviewer, headers: [.contentType: "application/json"],
                                  body: Data("yes".utf8)).expectProblem(.badRequest)
        }
    }

    @Test func dicomJobGetsAnSRWithTheSourceStudy() async throws {
        let server = try await TestServer()
        defer { server.remove() }
        let key = server.submitter
        let dicom = try Data(contentsOf: Fixtures.url("dicom/MR_small.dcm"))
        try await server.inProcess { client in
            let posted = try await client.call("/v1/jobs", .post, key: key, headers: [.contentType: "application/dicom"], body: dicom)
            #expect(posted.status == .accepted)
            let id = try #require(try posted.json()["id"] as? String)
            #expect(try await client.waitForJob(id, key: key)["status"] as? String == "succeeded")
            let sr = try await client.call("/v1/jobs/\(id)/result?format=sr", .get, key: key)
            #expect(sr.status == .ok && sr.headers[.contentType] == "application/dicom")
            let bytes = Data(sr.body.readableBytesView)
            // The source's Study Instance UID (0020,000D) is copied into the SR.
            let study = "1.3.6.1.4.1.5962.1.2.4.20040826185059.5457"
            #expect(bytes.range(of: Data(study.utf8)) != nil)
        }
    }

    @Test func multipartWithTwoFilesMakesOneJobOfTwoImages() async throws {
        let server = try await TestServer()
        defer { server.remove() }
        let key = server.submitter
        let boundary = "xYzBoundary42"
        var body = Data()
        for (i, name) in ["a.png", "b.png"].enumerated() {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: image/png\r\n\r\n".utf8)
            body += try TestServer.png(i)
            body += Data("\r\n".utf8)
        }
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--\(boundary)--\r\n".utf8)
        let payload = body
        try await server.inProcess { client in
            let posted = try await client.call("/v1/jobs", .post, key: key,
                                               headers: [.contentType: "multipart/form-data; boundary=\(boundary)"], body: payload)
            #expect(posted.status == .accepted, "\(String(buffer: posted.body))")
            let job = try posted.json()
            let images = try #require(job["images"] as? [[String: Any]])
            #expect(images.map { $0["name"] as? String } == ["a.png", "b.png"])
            let done = try await client.waitForJob(try #require(job["id"] as? String), key: key)
            #expect(done["status"] as? String == "succeeded")
        }
    }

    @Test func idempotencyKeyGivesTheSameJobOr409() async throws {
        let server = try await TestServer(workers: 0)
        defer { server.remove() }
        let key = server.submitter
        try await server.inProcess { client in
            let headers: HTTPFields = [.contentType: "image/png", HTTPField.Name("Idempotency-Key")!: "ris-4711"]
            let first = try await client.call("/v1/jobs", .post, key: key, headers: headers, body: try TestServer.png(0))
            #expect(first.status == .accepted)
            let again = try await client.call("/v1/jobs", .post, key: key, headers: headers, body: try TestServer.png(0))
            #expect(again.status == .ok)
            #expect(try again.json()["id"] as? String == (try first.json()["id"] as? String))
            try await client.call("/v1/jobs", .post, key: key, headers: headers, body: try TestServer.png(1))
                .expectProblem(.conflict)
        }
    }

    @Test func malformedRequestsGet4xxProblems() async throws {
        let server = try await TestServer(workers: 0, maxBodyBytes: 4096)
        defer { server.remove() }
        let key = server.submitter
        try await server.inProcess { client in
            let big = Data(repeating: 0x41, count: 10_000)
            try await client.call("/v1/jobs", .post, key: key, headers: [.contentType: "image/png"], body: big)
                .expectProblem(.contentTooLarge)
            try await client.call("/v1/jobs", .post, key: key, headers: [.contentType: "text/plain"], body: Data("hi".utf8))
                .expectProblem(.unsupportedMediaType)
            let detail = try await client.call("/v1/jobs", .post, key: key, headers: [.contentType: "image/png"],
                                               body: Data("not a png at all".utf8)).expectProblem(.badRequest)
            #expect(detail.contains("cannot be decoded"))
            try await client.call("/v1/jobs", .post, key: key, headers: [.contentType: "multipart/form-data; boundary=b"],
                                  body: Data("--b\r\nContent-Disposition: form-data; filename=\"x\"\r\n\r\nabc".utf8))
                .expectProblem(.badRequest)
            try await client.call("/v1/jobs", .post, key: key, headers: [.contentType: "multipart/form-data"],
                                  body: Data("x".utf8)).expectProblem(.badRequest)
            try await client.call("/v1/jobs?priority=12", .post, key: key, headers: [.contentType: "image/png"],
                                  body: try TestServer.png()).expectProblem(.badRequest)
            try await client.call("/v1/jobs?model=nope", .post, key: key, headers: [.contentType: "image/png"],
                                  body: try TestServer.png()).expectProblem(.badRequest)
            try await client.call("/v1/jobs/unknown-id", .get, key: server.reviewer).expectProblem(.notFound)
            try await client.call("/v1/jobs?cursor=zzz", .get, key: key).expectProblem(.badRequest)
            try await client.call("/v1/jobs?status=bogus", .get, key: key).expectProblem(.badRequest)
        }
    }

    @Test func fullQueueAnswers429WithRetryAfter() async throws {
        let server = try await TestServer(workers: 0, maxQueuedImages: 1)
        defer { server.remove() }
        let key = server.submitter
        try await server.inProcess { client in
            let headers: HTTPFields = [.contentType: "image/png"]
            #expect(try await client.call("/v1/jobs", .post, key: key, headers: headers, body: try TestServer.png()).status == .accepted)
            let refused = try await client.call("/v1/jobs", .post, key: key, headers: headers, body: try TestServer.png())
            try refused.expectProblem(.tooManyRequests)
            #expect(refused.headers[.retryAfter] != nil)
        }
    }

    @Test func listCancelAndOwnership() async throws {
        let server = try await TestServer(workers: 0)
        defer { server.remove() }
        try await server.inProcess { client in
            var ids: [String] = []
            for i in 0..<3 {
                let r = try await client.call("/v1/jobs", .post, key: server.submitter, headers: [.contentType: "image/png"],
                                              body: try TestServer.png(i))
                ids.append(try #require(try r.json()["id"] as? String))
            }
            let page = try await client.call("/v1/jobs?limit=2", .get, key: server.submitter).json()
            #expect((page["jobs"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ids[2], ids[1]])
            let cursor = try #require(page["nextCursor"] as? String)
            let next = try await client.call("/v1/jobs?limit=2&cursor=\(cursor)", .get, key: server.submitter).json()
            #expect((next["jobs"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ids[0]])

            // Another submitter neither sees nor reads these jobs; a reviewer does.
            let other = try await server.services.keys.create(name: "other", role: .submitter).key
            #expect((try await client.call("/v1/jobs", .get, key: other).json()["jobs"] as? [Any])?.count == 0)
            try await client.call("/v1/jobs/\(ids[0])", .get, key: other).expectProblem(.notFound)
            #expect(try await client.call("/v1/jobs/\(ids[0])", .get, key: server.reviewer).status == .ok)

            let cancelled = try await client.call("/v1/jobs/\(ids[0])", .delete, key: server.submitter)
            #expect(cancelled.status == .ok)
            #expect(try cancelled.json()["status"] as? String == "cancelled")
            try await client.call("/v1/jobs/\(ids[0])", .delete, key: server.submitter).expectProblem(.conflict)
        }
    }
}
