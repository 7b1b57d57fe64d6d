public import JobQueue
public import Annotations
import Core
import DICOM
public import Foundation

/// Why a job has no DICOM SR to give.
public enum StructuredReportError: Error, Sendable, CustomStringConvertible {
    /// No image of the job has a report (yet): it is `status`.
    case noReport(job: String, status: JobState)
    /// The reports cannot make one SR (e.g. of different model versions).
    case unwritable(job: String, reason: String)
    case queue(JobQueueError)

    public var description: String {
        switch self {
        case let .noReport(job, status): "job \(job) is \(status.rawValue) and has no succeeded image to report"
        case let .unwritable(job, reason): "job \(job): cannot make the DICOM SR: \(reason)"
        case let .queue(error): error.description
        }
    }
}

extension Artifact {
    /// A finished job's DICOM Structured Report (all its images), stored once as an artifact of the job.
    public static let structuredReportName = "sr.dcm"
}

extension JobQueue {
    /// The job's DICOM SR (Part 10). A finished job's SR is written once, by the worker that finished it
    /// (or, for a job finished before SRs were stored, at the first request) and kept as the job's
    /// `sr.dcm` artifact: every later request, the CLI and exports get those same bytes, so the result has
    /// one SOP Instance UID everywhere. A job still running gets a provisional SR of the reports so far,
    /// which is not kept.
    public func structuredReport(job id: String) async throws(StructuredReportError) -> Data {
        do {
            if let stored = try await jobArtifact(job: id, named: Artifact.structuredReportName) { return stored.data }
            let (job, inputs) = try await structuredReportInputs(id)
            guard !inputs.isEmpty else { throw StructuredReportError.noReport(job: id, status: job.status) }
            let data = try await Blocking.run { () throws(StructuredReportError) -> Data in
                do throws(SRError) { return try StructuredReportWriter().write(inputs) } catch {
                    throw .unwritable(job: id, reason: error.description)
                }
            }
            guard job.status.isTerminal else { return data }
            return try await storeJobArtifact(job: id, named: Artifact.structuredReportName, mediaType: StructuredReportWriter.mediaType,
                                              data: data).data
        } catch let error as StructuredReportError {
            throw error
        } catch let error as JobQueueError {
            throw .queue(error)
        } catch {
            throw .queue(.database("\(error)"))
        }
    }

    /// What `StructuredReportWriter.write` needs for a job's DICOM SR: each succeeded image's report and,
    /// for DICOM input, the source attributes the SR copies (patient, study, instance references).
    ///
    /// The attributes are read again from the stored input image rather than kept beside the report: the
    /// input blob lives exactly as long as the job (pruned together) and is checked against its SHA-256 on
    /// every read.
    ///
    /// A job without any succeeded image gives no inputs (the caller says why, from the job, read with its
    /// reports).
    /// - Throws: `.notFound`, `.storage` when a stored image is missing, damaged or no longer parses.
    func structuredReportInputs(_ id: String) async throws(JobQueueError) -> (job: JobStatus, inputs: [StructuredReportWriter.Input]) {
        let result = try await result(id)
        return (result.job, try await structuredReportInputs(result.reports, job: id))
    }

    /// The SR's inputs for `reports` (of job `id`, in image order): DICOM sources read again from the
    /// job's stored input images.
    func structuredReportInputs(_ reports: [Report], job id: String) async throws(JobQueueError) -> [StructuredReportWriter.Input] {
        let images = try await imageBlobs(job: id)
        var inputs: [StructuredReportWriter.Input] = []
        for report in reports {
            guard report.source.format == "dicom", let sha = images[report.image] else {
                inputs.append(.init(report: report))
                continue
            }
            let data = try await blob(sha)
            let location = blobs.location(of: sha)
            let source = try await Blocking.run { () throws(JobQueueError) in
                do { return StructuredReportWriter.sourceAttributes(of: try DICOMParser.parse(data).dataSet) } catch {
                    throw .storage(path: location, reason: "the stored DICOM image cannot be read again: \(error)")
                }
            }
            inputs.append(.init(report: report, source: source))
        }
        return inputs
    }
}
