import Annotations
import Foundation
import HTTPTypes
import Hummingbird
import JobQueue

extension JobsController {
    /// The job's reports as one DICOM SR (`application/dicom`). PNG/JPEG sources need nothing more than the
    /// reports; a DICOM source needs its patient and study attributes, which the queue does not keep yet, so
    /// such jobs get 501 rather than an SR without them.
    func structuredReport(_ result: JobResult) throws -> Response {
        guard !result.reports.isEmpty else {
            throw Problem(.conflict, "No Result", detail: "job \(result.job.id) is \(result.job.status.rawValue) and has no report yet")
        }
        if result.reports.contains(where: { $0.source.format == "dicom" }) {
            throw Problem(.notImplemented, "Not Implemented",
                          detail: "a DICOM SR of a DICOM source needs the source's patient and study attributes, which the job store does not keep yet; use format=json")
        }
        let data: Data
        do { data = try StructuredReportWriter().write(result.reports.map { StructuredReportWriter.Input(report: $0) }) } catch {
            throw Problem.internalError("cannot write the SR of job \(result.job.id): \(error)")
        }
        return Response(status: .ok, headers: [.contentType: StructuredReportWriter.mediaType],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
