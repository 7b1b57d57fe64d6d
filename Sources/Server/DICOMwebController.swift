import Core
import DICOM
import Foundation
import HTTPTypes
import Hummingbird
import Imaging
import JobQueue
import Models

/// DICOMweb STOW-RS (`multipart/related; type="application/dicom"`): the instances of one request for one
/// study become one job; the answer is a DICOM JSON Store Instances Response.
struct DICOMwebController {
    let services: ServerServices

    /// Failure reasons of PS3.18 / PS3.4 used in the FailedSOPSequence.
    enum FailureReason: Int {
        case cannotUnderstand = 0xC000
        case sopClassNotSupported = 0x0122
        case outOfResources = 0xA700
        case studyMismatch = 0xA900
    }

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.post("studies", use: store)
        group.post("studies/:study", use: store)
        group.post(":model/studies", use: store)
    }

    struct Instance: Sendable {
        var image: ReceivedImage
        var sopClass: String?
        var sopInstance: String?
        var study: String?
        var failure: FailureReason?
        var reason: String?
    }

    @Sendable func store(_ request: Request, context: ServerContext) async throws -> Response {
        let key = try context.require(.submitter)
        let model = try services.resolveModel(context.parameters.get("model"))
        let contentType = request.headers[.contentType] ?? ""
        let media = contentType.split(separator: ";").first.map { $0.trimmingWhitespace().lowercased() } ?? ""
        let type = MultipartParser.parameter("type", in: contentType)?.lowercased()
        guard media == "multipart/related", type == nil || type == "application/dicom" else {
            throw Problem.unsupportedMediaType("STOW-RS needs Content-Type multipart/related; type=\"application/dicom\", got '\(contentType)'")
        }
        guard let boundary = MultipartParser.parameter("boundary", in: contentType), !boundary.isEmpty else {
            throw Problem.badRequest("multipart/related needs a boundary parameter")
        }
        let receiver = UploadReceiver(directory: services.configuration.dataDirectory.appendingPathComponent("http-uploads"),
                                      maxBytes: services.configuration.maxBodyBytes)
        if let length = request.headers[.contentLength].flatMap(Int64.init), length > receiver.maxBytes { throw receiver.tooLarge }
        let parts = try await receiver.receiveMultipart(request.body, boundary: boundary, filesOnly: false)
        defer { receiver.discard(parts) }
        // Parsing and decoding every part is CPU work: on the blocking executor.
        var instances = await Blocking.run { parts.map { Self.examine($0) } }
        if let expected = context.parameters.get("study") {
            for i in instances.indices where instances[i].failure == nil && instances[i].study != expected {
                instances[i].failure = .studyMismatch
                instances[i].reason = "StudyInstanceUID \(instances[i].study ?? "(none)") is not \(expected) of the URL"
            }
        }
        // One job per study, in arrival order.
        var studies: [String] = []
        for instance in instances where instance.failure == nil {
            if !studies.contains(instance.study!) { studies.append(instance.study!) }
        }
        var jobOf: [String: String] = [:]
        for study in studies {
            let members = instances.filter { $0.failure == nil && $0.study == study }
            let submission = try await queueCall { () async throws(JobQueueError) in
                var uploads: [ImageUpload] = []
                for m in members {
                    let upload = try await services.queue.beginUpload(name: m.sopInstance)
                    try await upload.write(contentsOf: m.image.file)
                    uploads.append(upload)
                }
                return try await services.queue.submit(uploads, model: model.ref,
                                                 recording: { [owner = key.id] tx, job in try await APIKeyStore.recordOwner(tx, job: job, key: owner) })
            }
            jobOf[study] = submission.job.id
        }
        return try Self.response(instances, jobOf: jobOf, base: request.absoluteBase ?? "")
    }

    /// Admits one part (`Admission.admitInstance`: parsed and decoded once): its UIDs, or why it is refused.
    static func examine(_ image: ReceivedImage) -> Instance {
        var instance = Instance(image: image)
        let data: Data
        do { data = try Data(contentsOf: image.file, options: .alwaysMapped) } catch {
            instance.failure = .outOfResources
            instance.reason = "cannot read back the part: \(error.localizedDescription)"
            return instance
        }
        let ids: InstanceIdentifiers?
        do {
            let scan = try Admission.admitInstance(data)
            (instance.sopClass, instance.sopInstance, instance.study) = (scan.sopClassUID, scan.sopInstanceUID, scan.studyInstanceUID)
            return instance
        } catch {
            ids = error.identifiers
            instance.reason = error.description
            if case .noPixelData = error { instance.failure = .sopClassNotSupported } else { instance.failure = .cannotUnderstand }
        }
        (instance.sopClass, instance.sopInstance, instance.study) = (ids?.sopClassUID, ids?.sopInstanceUID, ids?.studyInstanceUID)
        return instance
    }

    /// The Store Instances Response: 200 all stored, 202 some failed, 409 all failed on the study of the
    /// URL, 400 all failed otherwise. RetrieveURL (0008,1190) is `base` + `/v1/jobs/{id}`: absolute, as PS3.18
    /// expects, when `base` is the request's `scheme://host[:port]`; relative when the Host was unusable.
    /// `Location` stays relative (RFC 9110 allows it; the request log reads the job id from it).
    static func response(_ instances: [Instance], jobOf: [String: String], base: String) throws -> Response {
        func ui(_ v: String?) -> [String: Any] {
            guard let v else { return ["vr": "UI"] }
            return ["vr": "UI", "Value": [v]]
        }
        var referenced: [[String: Any]] = []
        var failed: [[String: Any]] = []
        for i in instances {
            if let failure = i.failure {
                failed.append(["00081150": ui(i.sopClass), "00081155": ui(i.sopInstance),
                               "00081197": ["vr": "US", "Value": [failure.rawValue]] as [String: Any]])
            } else {
                referenced.append(["00081150": ui(i.sopClass), "00081155": ui(i.sopInstance),
                                   "00081190": ["vr": "UR", "Value": ["\(base)/v1/jobs/\(jobOf[i.study!]!)"]] as [String: Any]])
            }
        }
        var object: [String: Any] = [:]
        if !referenced.isEmpty { object["00081199"] = ["vr": "SQ", "Value": referenced] as [String: Any] }
        if !failed.isEmpty { object["00081198"] = ["vr": "SQ", "Value": failed] as [String: Any] }
        if jobOf.count == 1 { object["00081190"] = ["vr": "UR", "Value": ["\(base)/v1/jobs/\(jobOf.values.first!)"]] as [String: Any] }
        let status: HTTPResponse.Status = failed.isEmpty ? .ok : !referenced.isEmpty ? .accepted
            : instances.allSatisfy({ $0.failure == .studyMismatch }) ? .conflict : .badRequest
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        var headers: HTTPFields = [.contentType: "application/dicom+json"]
        if let job = jobOf.values.first, jobOf.count == 1 { headers[.location] = "/v1/jobs/\(job)" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
