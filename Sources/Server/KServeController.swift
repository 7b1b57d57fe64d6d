import Engine
import Foundation
import HTTPTypes
import Hummingbird
import Models
import Tensor

/// The KServe V2 / Open Inference Protocol routes (`/v2`): health, model metadata and readiness, inference
/// with JSON tensors, and the model repository extension wired to `ModelRepository`'s verified hot-swap.
/// Errors are `{"error": "..."}` as the protocol defines.
struct KServeController {
    static let platform = "medinfer_onnx"
    static let maxInferBody = 64 << 20
    let services: ServerServices

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.get(use: serverMetadata)
        group.get("health/live", use: live)
        group.get("health/ready", use: ready)
        for prefix in ["models/:name", "models/:name/versions/:version"] {
            group.get(RouterPath(prefix), use: modelMetadata)
            group.get(RouterPath(prefix + "/ready"), use: modelReady)
            group.post(RouterPath(prefix + "/infer"), use: infer)
        }
        group.post("repository/index", use: repositoryIndex)
        group.post("repository/models/:name/load", use: load)
        group.post("repository/models/:name/unload", use: unload)
    }

    @Sendable func serverMetadata(_ request: Request, context: ServerContext) async throws -> Response {
        _ = try requireRole(.submitter, context)
        return try Self.json(["name": "medinfer", "version": "0.1.0", "extensions": ["model_repository"]] as [String: Any])
    }

    @Sendable func live(_ request: Request, context: ServerContext) async throws -> Response {
        try Self.json(["live": true])
    }

    /// Ready when the default model has a verified (checksums and canaries passed) version.
    @Sendable func ready(_ request: Request, context: ServerContext) async throws -> Response {
        guard services.defaultModel != nil else { throw KServeError(.serviceUnavailable, "the default model is not loaded yet") }
        return try Self.json(["ready": true])
    }

    @Sendable func modelMetadata(_ request: Request, context: ServerContext) async throws -> Response {
        _ = try requireRole(.submitter, context)
        let model = try resolve(context)
        let versions = services.models.models().first { $0.name == model.name }?.versions
            .filter { $0.state == .verified }.map { String($0.version) } ?? []
        let graph = model.model.graph
        return try Self.json([
            "name": model.name, "versions": versions, "platform": Self.platform,
            "inputs": graph.inputs.map(Self.tensorMetadata), "outputs": graph.outputs.map(Self.tensorMetadata),
        ] as [String: Any])
    }

    @Sendable func modelReady(_ request: Request, context: ServerContext) async throws -> Response {
        _ = try requireRole(.submitter, context)
        let model = try resolve(context)
        return try Self.json(["name": model.name, "version": String(model.version), "ready": true] as [String: Any])
    }

    /// `POST .../infer`: JSON tensors in (`data` flat or nested, row-major), JSON tensors out. Runs the
    /// version's compiled plan directly, off the job queue.
    @Sendable func infer(_ request: Request, context: ServerContext) async throws -> Response {
        _ = try requireRole(.submitter, context)
        let model = try resolve(context)
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: Self.maxInferBody) } catch {
            throw KServeError(.contentTooLarge, "the request body exceeds \(Self.maxInferBody) bytes")
        }
        let parsed = try InferRequest(json: Data(body.readableBytesView))
        var inputs: [String: Tensor] = [:]
        for input in parsed.inputs { inputs[input.name] = input.tensor }
        let started = ContinuousClock.now
        let outputs: [String: Tensor]
        do { outputs = try model.run(inputs) } catch {
            throw KServeError(.badRequest, "inference failed: \(error)")
        }
        services.metrics.recordInference(ContinuousClock.now - started)
        let wanted = parsed.outputs ?? model.model.graph.outputs.map(\.name)
        var answer: [[String: Any]] = []
        for name in wanted {
            guard let tensor = outputs[name] else { throw KServeError(.badRequest, "the model has no output '\(name)'") }
            answer.append(["name": name, "datatype": Self.datatype(tensor.dtype), "shape": tensor.shape,
                           "data": tensor.dtype == .bool ? tensor.doubles().map { $0 != 0 } as [Any] : tensor.doubles() as [Any]])
        }
        var object: [String: Any] = ["model_name": model.name, "model_version": String(model.version), "outputs": answer]
        if let id = parsed.id { object["id"] = id }
        return try Self.json(object)
    }

    /// `POST /v2/repository/index` (admin): every version with its state.
    @Sendable func repositoryIndex(_ request: Request, context: ServerContext) async throws -> Response {
        _ = try requireRole(.admin, context)
        var index: [[String: Any]] = []
        for model in services.models.models() {
            for v in model.versions {
                var entry: [String: Any] = ["name": model.name, "version": String(v.version)]
                switch v.state {
                case .verified: entry["state"] = v.version == model.active ? "READY" : "UNAVAILABLE"
                case .refused(let reason):
                    entry["state"] = "UNAVAILABLE"
                    entry["reason"] = reason
                case .unverified: entry["state"] = "UNAVAILABLE"; entry["reason"] = "not verified yet"
                }
                index.append(entry)
            }
        }
        return try Self.json(index)
    }

    /// `POST /v2/repository/models/{name}/load` (admin): re-reads the model from disk and verifies new or
    /// changed versions; a refused version leaves the serving one in place.
    @Sendable func load(_ request: Request, context: ServerContext) async throws -> Response {
        _ = try requireRole(.admin, context)
        let name = try context.parameters.require("name")
        guard ModelRepository.isValidName(name) else { throw KServeError(.badRequest, "'\(name)' is not a valid model name") }
        let events = services.models.reload(only: name)
        services.recordModelEvents(events, trigger: "repository load", logger: context.logger)
        guard let active = services.models.active(name) else {
            var reasons: [String] = []
            for case let .refused(_, v, r) in events { reasons.append("version \(v): \(r)") }
            throw KServeError(.badRequest, "model '\(name)' has no verified version" +
                              (reasons.isEmpty ? "" : " (\(reasons.joined(separator: "; ")))"))
        }
        return try Self.json(["name": name, "version": String(active.version), "events": events.map(\.description)] as [String: Any])
    }

    /// `POST /v2/repository/models/{name}/unload`: not offered; the repository always serves a verified version.
    @Sendable func unload(_ request: Request, context: ServerContext) async throws -> Response {
        _ = try requireRole(.admin, context)
        throw KServeError(.notImplemented,
                          "unload is not supported: remove or pin versions (medinfer models activate/rollback), then load")
    }

    func requireRole(_ role: Role, _ context: ServerContext) throws -> APIKeyRecord {
        do { return try context.require(role) } catch { throw KServeError(error.status, error.detail) }
    }

    /// The model (and version) named by the path.
    func resolve(_ context: ServerContext) throws -> LoadedModel {
        let name = try context.parameters.require("name")
        if let v = context.parameters.get("version") {
            guard let version = Int(v) else { throw KServeError(.badRequest, "version '\(v)' is not an integer") }
            guard let model = services.models.model(name, version: version) else {
                throw KServeError(.notFound, "no verified version \(version) of model '\(name)'")
            }
            return model
        }
        guard let model = services.models.active(name) else { throw KServeError(.notFound, "no model '\(name)' is ready") }
        return model
    }

    static func tensorMetadata(_ info: ValueInfo) -> [String: Any] {
        let shape = info.shape?.map { dim -> Int in
            if case .fixed(let n) = dim { return n }
            return -1
        } ?? [-1]
        return ["name": info.name, "datatype": datatype(info.dtype), "shape": shape]
    }

    static func datatype(_ dtype: DType) -> String {
        switch dtype {
        case .float32: "FP32"
        case .float64: "FP64"
        case .int8: "INT8"
        case .uint8: "UINT8"
        case .int16: "INT16"
        case .uint16: "UINT16"
        case .int32: "INT32"
        case .uint32: "UINT32"
        case .int64: "INT64"
        case .uint64: "UINT64"
        case .bool: "BOOL"
        }
    }

    static func json(_ object: Any) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
