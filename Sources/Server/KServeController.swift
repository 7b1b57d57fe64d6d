import Core
import Inference
import Engine
import Foundation
import HTTPTypes
import Hummingbird
import JobQueue
import Models
import Tensor

/// The KServe V2 / Open Inference Protocol routes (`/v2`): health, model metadata and readiness, inference
/// (not on an api node: 503 in the protocol's `{"error"}` shape, as every `/v2` error)
/// with JSON tensors and the binary tensor extension, and the model repository extension wired to
/// `ModelRepository`'s verified hot-swap (load) and its unload. Errors are `{"error": "..."}` as the protocol
/// defines.
struct KServeController {
    static let platform = "medinfer_onnx"
    static let maxInferBody = 64 << 20
    /// The protocol extensions `GET /v2` advertises (Triton's names).
    static let extensions = ["model_repository", "binary_tensor_data"]
    let services: ServerServices
    /// The batcher on the in-process worker's engine thread (infer requests share batches and the engine
    /// with each other and with job batches); nil on an api node, which leaves inference to worker nodes.
    let inference: InferenceBatcher?

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
        return try Self.json(["name": "medinfer", "version": "0.1.0", "extensions": Self.extensions,
                              "role": services.configuration.role.rawValue] as [String: Any])
    }

    @Sendable func live(_ request: Request, context: ServerContext) async throws -> Response {
        try Self.json(["live": true])
    }

    /// Ready when the default model has a verified (checksums and canaries passed) version and the job
    /// database answers (a node that cannot reach a shared database must leave the load balancer's pool).
    @Sendable func ready(_ request: Request, context: ServerContext) async throws -> Response {
        guard services.defaultModel != nil else { throw KServeError(.serviceUnavailable, "the default model is not loaded yet") }
        do { _ = try await services.queue.jobCounts() } catch {
            throw KServeError(.serviceUnavailable, "the job database does not answer: \(error)")
        }
        return try Self.json(["ready": true, "role": services.configuration.role.rawValue] as [String: Any])
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

    /// 200 when the model (version) serves; 400 with `"ready": false` while it is unloaded (the protocol's
    /// "4xx means false"); 404 when there is no such model.
    @Sendable func modelReady(_ request: Request, context: ServerContext) async throws -> Response {
        _ = try requireRole(.submitter, context)
        let name = try context.parameters.require("name")
        if services.models.isUnloaded(name) {
            var response = try Self.json(["name": name, "ready": false, "error": "model '\(name)' is unloaded"] as [String: Any])
            response.status = .badRequest
            return response
        }
        let model = try resolve(context)
        return try Self.json(["name": model.name, "version": String(model.version), "ready": true] as [String: Any])
    }

    /// `POST .../infer`: JSON tensors or the binary tensor extension in (`InferRequest`), the same out: an
    /// output comes back as raw bytes when the request asks (`binary_data` per output, `binary_data_output`
    /// for all), and then the answer carries `Inference-Header-Content-Length`. The tensors go through the
    /// worker's batcher (`InferenceBatcher`), batched with concurrent requests for the same version.
    @Sendable func infer(_ request: Request, context: ServerContext) async throws -> Response {
        _ = try requireRole(.submitter, context)
        guard let inference else {
            throw KServeError(.serviceUnavailable, """
                inference runs on worker nodes (--role worker or all); this node runs with --role \(services.configuration.role)
                """)
        }
        let model = try resolve(context)
        var headerLength: Int?
        if let text = request.headers[.inferenceHeaderContentLength] {
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                throw KServeError(.badRequest, "Inference-Header-Content-Length must be a non-negative integer, got '\(text)'")
            }
            headerLength = n
        }
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: Self.maxInferBody) } catch {
            throw KServeError(.contentTooLarge, "the request body exceeds \(Self.maxInferBody) bytes")
        }
        let parsed = try InferRequest(body: Data(body.readableBytesView), headerLength: headerLength)
        let graphOutputs = model.model.graph.outputs.map(\.name)
        let wanted = parsed.outputs ?? graphOutputs.map { InferRequest.Output(name: $0, binary: parsed.binaryOutput) }
        if let unknown = wanted.first(where: { !graphOutputs.contains($0.name) }) {
            throw KServeError(.badRequest, "the model has no output '\(unknown.name)' (outputs: \(graphOutputs.joined(separator: ", ")))")
        }
        let outputs: [String: Tensor]
        do { outputs = try await inference.infer(model, parsed.tensors) } catch {
            throw KServeError(.badRequest, error.description)
        }
        var answer: [[String: Any]] = []
        var binary = Data()
        for output in wanted {
            guard let tensor = outputs[output.name] else {
                throw KServeError(.badRequest, "the model returned no output '\(output.name)'")
            }
            var entry: [String: Any] = ["name": output.name, "datatype": KServeDatatype.name(tensor.dtype), "shape": tensor.shape]
            if output.binary {
                let bytes = KServeDatatype.bytes(tensor)
                entry["parameters"] = ["binary_data_size": bytes.count]
                binary.append(bytes)
            } else {
                entry["data"] = KServeDatatype.json(tensor)
            }
            answer.append(entry)
        }
        var object: [String: Any] = ["model_name": model.name, "model_version": String(model.version), "outputs": answer]
        if let id = parsed.id { object["id"] = id }
        guard wanted.contains(where: \.binary) else { return try Self.json(object) }
        var data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        let jsonLength = data.count
        data.append(binary)
        return Response(status: .ok,
                        headers: [.contentType: "application/octet-stream", .inferenceHeaderContentLength: String(jsonLength)],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `POST /v2/repository/index` (admin): every version with its state.
    @Sendable func repositoryIndex(_ request: Request, context: ServerContext) async throws -> Response {
        _ = try requireRole(.admin, context)
        var index: [[String: Any]] = []
        for model in services.models.models() {
            for v in model.versions {
                var entry: [String: Any] = ["name": model.name, "version": String(v.version)]
                switch v.state {
                case .verified where model.unloaded:
                    entry["state"] = "UNAVAILABLE"
                    entry["reason"] = "unloaded"
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

    /// `POST /v2/repository/models/{name}/load` (admin): serves an unloaded model again and re-reads it from
    /// disk, verifying new or changed versions (checksums, canaries) first; a refused version leaves the
    /// serving one in place.
    @Sendable func load(_ request: Request, context: ServerContext) async throws -> Response {
        _ = try requireRole(.admin, context)
        let name = try context.parameters.require("name")
        guard ModelRepository.isValidName(name) else { throw KServeError(.badRequest, "'\(name)' is not a valid model name") }
        // Verification compiles the model and runs its canaries: on the blocking executor.
        let events = await Blocking.run { [models = services.models] in models.load(name) }
        await services.recordModelEvents(events, trigger: "repository load", logger: context.logger)
        guard let active = services.models.active(name) else {
            var reasons: [String] = []
            for case let .refused(_, v, r) in events { reasons.append("version \(v): \(r)") }
            throw KServeError(.badRequest, "model '\(name)' has no verified version" +
                              (reasons.isEmpty ? "" : " (\(reasons.joined(separator: "; ")))"))
        }
        return try Self.json(["name": name, "version": String(active.version), "events": events.map(\.description)] as [String: Any])
    }

    /// `POST /v2/repository/models/{name}/unload` (admin): stops serving the model in this server until
    /// `load`. New infer requests get 404, its readiness turns false and queued jobs for it wait; requests
    /// and batches already accepted finish on the version they started with.
    @Sendable func unload(_ request: Request, context: ServerContext) async throws -> Response {
        _ = try requireRole(.admin, context)
        let name = try context.parameters.require("name")
        guard ModelRepository.isValidName(name) else { throw KServeError(.badRequest, "'\(name)' is not a valid model name") }
        let events: [ModelEvent]
        do { events = try services.models.unload(name) } catch {
            throw KServeError(.notFound, error.description)
        }
        await services.recordModelEvents(events, trigger: "repository unload", logger: context.logger)
        return try Self.json(["name": name, "unloaded": true, "events": events.map(\.description)] as [String: Any])
    }

    func requireRole(_ role: Role, _ context: ServerContext) throws -> APIKeyRecord {
        do { return try context.require(role) } catch { throw KServeError(error.status, error.detail) }
    }

    /// The model (and version) named by the path.
    func resolve(_ context: ServerContext) throws -> LoadedModel {
        let name = try context.parameters.require("name")
        if services.models.isUnloaded(name) {
            throw KServeError(.notFound, "model '\(name)' is unloaded (POST /v2/repository/models/\(name)/load serves it again)")
        }
        if let v = context.parameters.get("version") {
            guard let version = Int(v) else { throw KServeError(.badRequest, "version '\(v)' is not an integer") }
            guard let model = services.models.model(name, version: version) else {
                if let reason = services.models.refusal(name, version: version) {
                    throw KServeError(.notFound, ModelsError.refused(name: name, version: version, reason: reason).description)
                }
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
        return ["name": info.name, "datatype": KServeDatatype.name(info.dtype), "shape": shape]
    }

    static func json(_ object: Any) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
