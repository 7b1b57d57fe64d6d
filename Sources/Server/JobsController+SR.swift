import Inference
import Annotations
import Foundation
import HTTPTypes
import Hummingbird
import JobQueue

extension JobsController {
    /// The job's DICOM SR (`application/dicom`): the stored one of a finished job, so every request gets the
    /// same object (`JobQueue.structuredReport(job:)`); a DICOM source's patient and study come from its
    /// stored bytes.
    func structuredReport(_ result: JobResult) async throws -> Response {
        let data: Data
        do { data = try await services.queue.structuredReport(job: result.job.id) } catch {
            switch error {
            case .noReport(let job, let status):
                throw Problem(.conflict, "No Result", detail: "job \(job) is \(status.rawValue) and has no report yet")
            case .unwritable:
                throw Problem.internalError(error.description)
            case .queue(let failure):
                throw failure.problem
            }
        }
        return Response(status: .ok, headers: [.contentType: StructuredReportWriter.mediaType],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
