import Inference
import Annotations
import Foundation
import HTTPTypes
import Hummingbird
import JobQueue

extension JobsController {
    /// The job's reports as one DICOM SR (`application/dicom`); a DICOM source's patient and study come
    /// from its stored bytes.
    func structuredReport(_ result: JobResult) throws -> Response {
        guard !result.reports.isEmpty else {
            throw Problem(.conflict, "No Result", detail: "job \(result.job.id) is \(result.job.status.rawValue) and has no report yet")
        }
        let inputs = try queueCall { () throws(JobQueueError) in try services.queue.structuredReportInputs(result.job.id) }
        let data: Data
        do { data = try StructuredReportWriter().write(inputs) } catch {
            throw Problem.internalError("cannot write the SR of job \(result.job.id): \(error)")
        }
        return Response(status: .ok, headers: [.contentType: StructuredReportWriter.mediaType],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
