public import JobQueue
public import Annotations
import DICOM
import Foundation

extension JobQueue {
    /// What `StructuredReportWriter.write` needs for a job's DICOM SR: each succeeded image's report and,
    /// for DICOM input, the source attributes the SR copies (patient, study, instance references).
    ///
    /// The attributes are read again from the stored input image rather than kept beside the report: the
    /// input blob lives exactly as long as the job (pruned together), is checked against its SHA-256 on
    /// every read, and the worker needs no change to serve SRs for jobs it ran before this existed.
    ///
    /// A job without any succeeded image gives an empty array (the caller says why, from the job's state).
    /// - Throws: `.notFound`, `.storage` when a stored image is missing, damaged or no longer parses.
    public func structuredReportInputs(_ id: String) throws(JobQueueError) -> [StructuredReportWriter.Input] {
        let result = try result(id)
        let images = try imageBlobs(job: id)
        var inputs: [StructuredReportWriter.Input] = []
        for report in result.reports {
            guard report.source.format == "dicom", let sha = images[report.image] else {
                inputs.append(.init(report: report))
                continue
            }
            let data = try blobs.read(sha)
            do {
                let file = try DICOMParser.parse(data)
                inputs.append(.init(report: report, source: StructuredReportWriter.sourceAttributes(of: file.dataSet)))
            } catch {
                throw .storage(path: blobs.location(of: sha), reason: "the stored DICOM image cannot be read again: \(error)")
            }
        }
        return inputs
    }
}
