import Foundation

/// The OpenAPI 3.1 document served at `GET /openapi.json`: every route with the statuses it answers.
/// `OpenAPITests` checks each route's answers against it, so it stays true.
enum OpenAPIDocument {
    /// (method, path, summary, statuses, open) per route.
    static let routes: [(method: String, path: String, summary: String, statuses: [Int], open: Bool)] = [
        ("post", "/v1/jobs", "Submit one job (raw image or multipart/form-data)",
         [200, 202, 400, 401, 403, 409, 413, 415, 429, 503, 507], false),
        ("get", "/v1/jobs", "List jobs, newest first", [200, 400, 401, 403, 503], false),
        ("get", "/v1/jobs/{id}", "One job", [200, 401, 403, 404, 503], false),
        ("delete", "/v1/jobs/{id}", "Cancel a queued job", [200, 401, 403, 404, 409, 503], false),
        ("get", "/v1/jobs/{id}/result", "The reports (JSON) or a DICOM SR (format=sr)",
         [200, 401, 403, 404, 406, 409, 503], false),
        ("get", "/v1/jobs/{id}/images/{index}/overlay.png", "An image's overlay", [200, 401, 403, 404, 503], false),
        ("post", "/v1/jobs/{id}/reviews", "A reviewer's verdict {agree, comment}, appended to the audit trail",
         [201, 400, 401, 403, 404, 409, 503], false),
        ("get", "/v1/jobs/{id}/reviews", "Every verdict on a job, oldest first (reviewer role)", [200, 401, 403, 404, 503], false),
        ("get", "/v1/reviews/worklist", "Succeeded jobs not yet reviewed, most urgent first (all=true: with reviewed ones)",
         [200, 400, 401, 403, 503], false),
        ("get", "/v2", "KServe V2 server metadata", [200, 401], false),
        ("get", "/v2/health/live", "Liveness", [200], true),
        ("get", "/v2/health/ready", "Readiness (the default model is verified and the job database answers)", [200, 503], true),
        ("get", "/v2/models/{name}", "Model metadata", [200, 401, 404], false),
        ("get", "/v2/models/{name}/versions/{version}", "Model version metadata", [200, 400, 401, 404], false),
        ("get", "/v2/models/{name}/ready", "Model readiness (400 with ready false while unloaded)", [200, 400, 401, 404], false),
        ("get", "/v2/models/{name}/versions/{version}/ready", "Model version readiness", [200, 400, 401, 404], false),
        ("post", "/v2/models/{name}/infer",
         "Inference with JSON tensors or the binary tensor extension (Inference-Header-Content-Length); batched with concurrent requests",
         [200, 400, 401, 404, 413, 503], false),
        ("post", "/v2/models/{name}/versions/{version}/infer", "Inference on one version (as infer)", [200, 400, 401, 404, 413, 503], false),
        ("post", "/v2/repository/index", "Every model version and its state", [200, 401, 403], false),
        ("post", "/v2/repository/models/{name}/load", "Serve a model (again), verifying new or changed versions from disk first",
         [200, 400, 401, 403], false),
        ("post", "/v2/repository/models/{name}/unload", "Stop serving a model until load; requests in flight finish",
         [200, 400, 401, 403, 404], false),
        ("post", "/dicomweb/studies", "STOW-RS", [200, 202, 400, 401, 403, 409, 413, 415, 503], false),
        ("post", "/dicomweb/studies/{study}", "STOW-RS for one study", [200, 202, 400, 401, 403, 409, 413, 415, 503], false),
        ("post", "/dicomweb/{model}/studies", "STOW-RS on a named model", [200, 202, 400, 401, 403, 409, 413, 415, 503], false),
        ("get", "/metrics", "Prometheus metrics", [200, 401, 403], true),
        ("get", "/openapi.json", "This document", [200], true),
    ]

    /// Every route takes and echoes `X-Request-Id` (it names the request's log line).
    static var requestIDParameter: [String: Any] {
        [
            "name": "X-Request-Id", "in": "header", "required": false, "schema": ["type": "string", "maxLength": 128],
            "description": "Echoed in the answer's X-Request-Id and logged; a new UUID when absent or not [A-Za-z0-9._:-]{1,128}",
        ]
    }
    static var inferenceHeaderParameter: [String: Any] {
        [
            "name": "Inference-Header-Content-Length", "in": "header", "required": false, "schema": ["type": "integer", "minimum": 1],
            "description": "Binary tensor extension: the body's first N bytes are the JSON request; the raw little-endian bytes of "
                + "each input with parameters.binary_data_size follow, in input order",
        ]
    }
    static var inferenceHeaderResponse: [String: Any] {
        [
            "schema": ["type": "integer"],
            "description": "Present when an output was asked for as binary_data: the length of the JSON that starts the body",
        ]
    }
    /// The names of the `{name}` segments of a path template, in order.
    static func templateNames(_ path: String) -> [String] {
        path.split(separator: "/").compactMap { segment in
            guard segment.hasPrefix("{"), segment.hasSuffix("}"), segment.count > 2 else { return nil }
            return String(segment.dropFirst().dropLast())
        }
    }

    /// One path parameter per templated segment (OpenAPI 3.1 requires each to be declared, `required: true`),
    /// derived from the template so the two cannot drift. Image indexes are integers; ids, model names,
    /// versions and UIDs are strings.
    static func pathParameters(_ path: String) -> [[String: Any]] {
        templateNames(path).map { (name: String) -> [String: Any] in
            let schema: [String: Any] = name == "index" ? ["type": "integer", "minimum": 0] : ["type": "string"]
            let parameter: [String: Any] = ["name": name, "in": "path", "required": true, "schema": schema]
            return parameter
        }
    }

    static var inferBody: [String: Any] {
        [
            "content": ["application/json": ["schema": ["type": "object"]],
                        "application/octet-stream": ["schema": ["type": "string", "format": "binary"]]],
        ]
    }

    static let json: Data = {
        var paths: [String: [String: Any]] = [:]
        for r in routes {
            var responses: [String: Any] = [:]
            for s in r.statuses { responses[String(s)] = ["description": HTTPStatusText.text(s)] }
            var operation: [String: Any] = ["summary": r.summary, "responses": responses]
            if r.open { operation["security"] = [] as [Any] }
            var parameters: [[String: Any]] = pathParameters(r.path) + [requestIDParameter]
            if r.path.hasSuffix("/infer") {
                parameters.append(inferenceHeaderParameter)
                operation["requestBody"] = inferBody
                responses["200"] = ["description": "OK", "content": inferBody["content"]!,
                                    "headers": ["Inference-Header-Content-Length": inferenceHeaderResponse]]
                operation["responses"] = responses
            }
            operation["parameters"] = parameters
            paths[r.path, default: [:]][r.method] = operation
        }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": ["title": "MedInfer", "version": "0.1.0",
                     "description": "Medical imaging inference. Results are a decision aid, never a diagnosis. "
                        + "Every answer carries X-Request-Id."],
            "components": ["securitySchemes": ["apiKey": ["type": "http", "scheme": "bearer"]]],
            "security": [["apiKey": [] as [Any]]],
            "paths": paths,
        ]
        return (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }()
}

enum HTTPStatusText {
    static func text(_ code: Int) -> String {
        [200: "OK", 202: "Accepted", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
         406: "Not Acceptable", 409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type",
         429: "Too Many Requests", 501: "Not Implemented", 503: "Service Unavailable", 507: "Insufficient Storage"][code]
            ?? "Status \(code)"
    }
}
