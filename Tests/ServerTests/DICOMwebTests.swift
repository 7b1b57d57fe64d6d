import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Server
import TestSupport
import Testing

/// STOW-RS over a real socket: a two-instance study becomes one job; bad parts are listed as failed.
@Suite(.serialized) struct DICOMwebTests {
    static func body(_ parts: [Data], boundary: String) -> Data {
        var body = Data()
        for part in parts {
            body += Data("--\(boundary)\r\nContent-Type: application/dicom\r\n\r\n".utf8) + part + Data("\r\n".utf8)
        }
        return body + Data("--\(boundary)--\r\n".utf8)
    }

    static let contentType = "multipart/related; type=\"application/dicom\"; boundary=stow-b0undary"

    @Test func twoInstanceStudyBecomesOneJobAndBadPartsFail() async throws {
        let server = try await TestServer()
        defer { server.remove() }
        let dicom = try Data(contentsOf: Fixtures.packageRoot.appendingPathComponent("SampleImages/CT_small.dcm"))
        let key = server.submitter
        try await server.live { client in
            let body = Self.body([dicom, dicom, Data("not dicom".utf8)], boundary: "stow-b0undary")
            let answer = try await client.call("/dicomweb/studies", .post, key: key,
                                               headers: [.contentType: Self.contentType], body: body)
            #expect(answer.status == .accepted, "\(String(buffer: answer.body))")
            #expect(answer.headers[.contentType] == "application/dicom+json")
            let object = try answer.json()
            let referenced = try #require((object["00081199"] as? [String: Any])?["Value"] as? [[String: Any]])
            #expect(referenced.count == 2)
            let failed = try #require((object["00081198"] as? [String: Any])?["Value"] as? [[String: Any]])
            #expect(((failed[0]["00081197"] as? [String: Any])?["Value"] as? [Int]) == [0xC000])
            // RetrieveURL is absolute, on the Host the client used (the test client sends "localhost").
            let url = try #require(((object["00081190"] as? [String: Any])?["Value"] as? [String])?.first)
            #expect(url.hasPrefix("http://localhost/v1/jobs/"), "\(url)")
            let id = String(url.dropFirst("http://localhost/v1/jobs/".count))
            #expect(referenced.allSatisfy { (($0["00081190"] as? [String: Any])?["Value"] as? [String]) == [url] })
            #expect(answer.headers[.location] == "/v1/jobs/\(id)")
            let job = try await client.waitForJob(id, key: key)
            #expect(job["status"] as? String == "succeeded")
            #expect((job["images"] as? [Any])?.count == 2)
            let reports = try await client.call("/v1/jobs/\(id)/result", .get, key: key).json()["reports"] as? [Any]
            #expect(reports?.count == 2)
        }
    }

    /// RetrieveURL follows X-Forwarded-Host/-Proto from a proxy; a host that is not a plain host[:port] gives
    /// the relative path instead of being echoed into a URL.
    @Test func retrieveURLUsesForwardedHostAndFallsBackToRelative() async throws {
        let server = try await TestServer(workers: 0)
        defer { server.remove() }
        let dicom = try Data(contentsOf: Fixtures.packageRoot.appendingPathComponent("SampleImages/CT_small.dcm"))
        let key = server.submitter
        let forwardedHost = HTTPField.Name("X-Forwarded-Host")!
        let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
        try await server.live { client in
            let cases: [(host: String?, proto: String?, prefix: String)] = [
                ("pacs.example:8443", "https", "https://pacs.example:8443/v1/jobs/"),
                ("gw.example, inner.local", "HTTPS, http", "https://gw.example/v1/jobs/"),
                ("[::1]:9000", nil, "http://[::1]:9000/v1/jobs/"),
                ("10.0.0.5", "gopher", "http://10.0.0.5/v1/jobs/"),
                ("evil.example/phish?x=", "https", "/v1/jobs/"),
                ("user@evil.example", nil, "/v1/jobs/"),
                ("evil.example:99999", nil, "/v1/jobs/"),
                ("a b", nil, "/v1/jobs/"),
            ]
            for c in cases {
                var headers: HTTPFields = [.contentType: Self.contentType]
                if let host = c.host { headers[forwardedHost] = host }
                if let proto = c.proto { headers[forwardedProto] = proto }
                let answer = try await client.call("/dicomweb/studies", .post, key: key, headers: headers,
                                                   body: Self.body([dicom], boundary: "stow-b0undary"))
                #expect(answer.status == .ok, "\(c): \(String(buffer: answer.body))")
                let url = try #require(((try answer.json()["00081190"] as? [String: Any])?["Value"] as? [String])?.first)
                let location = try #require(answer.headers[.location])
                #expect(url == c.prefix + location.dropFirst("/v1/jobs/".count), "\(c): \(url)")
            }
        }
    }

    @Test func studyMismatchIs409AndWrongTypeIs415() async throws {
        let server = try await TestServer(workers: 0)
        defer { server.remove() }
        let dicom = try Data(contentsOf: Fixtures.packageRoot.appendingPathComponent("SampleImages/CT_small.dcm"))
        let key = server.submitter
        try await server.live { client in
            let body = Self.body([dicom], boundary: "stow-b0undary")
            let mismatch = try await client.call("/dicomweb/studies/1.2.3.4", .post, key: key,
                                                 headers: [.contentType: Self.contentType], body: body)
            #expect(mismatch.status == .conflict)
            try await client.call("/dicomweb/studies", .post, key: key, headers: [.contentType: "application/dicom"], body: dicom)
                .expectProblem(.unsupportedMediaType)
            #expect(try await client.call("/dicomweb/studies", .post, key: nil, body: dicom).status == .unauthorized)
        }
    }
}
