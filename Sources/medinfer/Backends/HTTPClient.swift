import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking  // URLSession on Linux (libcurl at run time)
#endif

/// An HTTP client for one server and API key, on Foundation's `URLSession` (no extra package).
/// Non-2xx answers become `CLIError`s quoting the server's problem+json `detail`.
struct HTTPClient {
    let base: URL
    let apiKey: String
    /// Seconds without progress before a request fails (a large upload may take longer in total).
    var idleTimeout: TimeInterval = 120

    /// One answer.
    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: Data
    }

    /// `method path?query`, with `body` in memory or streamed from `bodyFile`; throws for a non-2xx status.
    func send(_ method: String, _ path: String, query: [URLQueryItem] = [], headers: [String: String] = [:],
              body: Data? = nil, bodyFile: URL? = nil) async throws -> Answer {
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false)!
        components.path = components.path.trimmingSuffix("/") + path
        if !query.isEmpty { components.queryItems = query }
        guard let url = components.url else { throw CLIError(message: "cannot make a URL of \(base) and \(path)", exitCode: 2) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = idleTimeout
        request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }

        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (data, response, error) = await withCheckedContinuation {
            (continuation: CheckedContinuation<(Data?, URLResponse?, (any Error)?), Never>) in
            let handler: @Sendable (Data?, URLResponse?, (any Error)?) -> Void = { data, response, error in
                continuation.resume(returning: (data, response, error))
            }
            let task: URLSessionTask
            if let bodyFile {
                // Streamed from the file by URLSession, never read whole into memory.
                task = session.uploadTask(with: request, fromFile: bodyFile, completionHandler: handler)
            } else if let body {
                task = session.uploadTask(with: request, from: body, completionHandler: handler)
            } else {
                task = session.dataTask(with: request, completionHandler: handler)
            }
            task.resume()
        }
        if let error {
            throw CLIError(message: "cannot reach the server at \(base.absoluteString): \(error.localizedDescription)", exitCode: 1)
        }
        guard let http = response as? HTTPURLResponse else {
            throw CLIError(message: "the server at \(base.absoluteString) sent no HTTP answer to \(method) \(path)", exitCode: 1)
        }
        var fields: [String: String] = [:]
        for (k, v) in http.allHeaderFields {
            fields[String(describing: k.base).lowercased()] = String(describing: v)
        }
        let answer = Answer(status: http.statusCode, headers: fields, body: data ?? Data())
        guard (200..<300).contains(answer.status) else { throw Self.failure(answer) }
        return answer
    }

    /// Sends and decodes a JSON answer.
    func json<T: Decodable>(_ type: T.Type, _ method: String, _ path: String, query: [URLQueryItem] = [],
                            headers: [String: String] = [:], body: Data? = nil, bodyFile: URL? = nil) async throws -> (T, Answer) {
        let answer = try await send(method, path, query: query, headers: headers, body: body, bodyFile: bodyFile)
        do { return (try JSONDecoder().decode(T.self, from: answer.body), answer) } catch {
            throw CLIError(message: "the server's answer to \(method) \(path) is not the expected JSON: \(error)", exitCode: 2)
        }
    }

    /// "server said 403: <detail>": problem+json's `detail` (or KServe's `error`), else the body's start.
    /// Exit code 1 for the client's side (4xx), 2 for the server's (5xx).
    static func failure(_ answer: Answer) -> CLIError {
        var detail = String(decoding: answer.body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any] {
            if let d = object["detail"] as? String ?? object["error"] as? String { detail = d }
        }
        if detail.isEmpty { detail = "(no detail)" }
        var message = "server said \(answer.status): \(detail)"
        if let retry = answer.headers["retry-after"] { message += " (retry after \(retry) s)" }
        return CLIError(message: message, exitCode: answer.status >= 500 ? 2 : 1)
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }
}
