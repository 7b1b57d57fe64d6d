public import Annotations
public import Foundation
public import JobQueue

/// The names of the artifacts a worker stores per image.
extension Artifact {
    /// The image's `Report`, as one JSON line.
    public static let reportName = "report.json"
    /// The heatmap or mask overlay (PNG); the server serves it at `/v1/jobs/{id}/images/{index}/overlay.png`.
    public static let overlayName = "overlay.png"
}

/// A finished (or partly finished) job's reports, in image order; images that failed or are still
/// waiting have none.
public struct JobResult: Sendable, Equatable {
    public var job: JobStatus
    public var reports: [Report]
}

/// A succeeded job on the clinician's worklist.
public struct WorklistItem: Codable, Sendable, Equatable {
    public var job: JobStatus
    /// Labels positive in at least one image, in order of first appearance.
    public var positiveFindings: [String]
    /// The finding with the highest probability over all images.
    public var topFinding: Report.Finding?
    /// The latest verdict (only when reviewed jobs were asked for).
    public var latestReview: Review?
}

/// Reading stored reports (for `result`, `worklist` and the SR).
extension JobQueue {
    /// The reports of the job's succeeded images, read from their durable blobs.
    public func result(_ id: String) async throws(JobQueueError) -> JobResult {
        let (job, artifacts) = try await artifacts(job: id, named: Artifact.reportName)
        return JobResult(job: job, reports: try reports(artifacts))
    }

    /// The clinician's worklist: succeeded jobs not yet reviewed (with `includeReviewed`, all succeeded
    /// jobs and their latest verdict), most urgent first, then jobs with a positive finding, then oldest
    /// first. Reads each listed job's reports.
    public func worklist(includeReviewed: Bool = false) async throws(JobQueueError) -> [WorklistItem] {
        var items: [WorklistItem] = []
        for candidate in try await reviewCandidates(reportArtifact: Artifact.reportName, includeReviewed: includeReviewed) {
            let findings = try reports(candidate.reports).flatMap(\.findings)
            var positive: [String] = []
            for f in findings where f.positive && !positive.contains(f.label) { positive.append(f.label) }
            items.append(WorklistItem(job: candidate.job, positiveFindings: positive,
                                      topFinding: findings.max { $0.probability < $1.probability },
                                      latestReview: candidate.latestReview))
        }
        // Stable: within a priority, positive jobs first, each group in arrival order (the queue's order).
        return items.enumerated().sorted { a, b in
            if a.element.job.priority != b.element.job.priority { return a.element.job.priority > b.element.job.priority }
            let pa = !a.element.positiveFindings.isEmpty, pb = !b.element.positiveFindings.isEmpty
            if pa != pb { return pa }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// Decodes stored report artifacts.
    func reports(_ artifacts: [StoredArtifact]) throws(JobQueueError) -> [Report] {
        var reports: [Report] = []
        for artifact in artifacts {
            do { reports.append(try JSONDecoder().decode(Report.self, from: artifact.data)) } catch {
                throw .storage(path: blobs.location(of: artifact.blob), reason: "stored report is not valid: \(error)")
            }
        }
        return reports
    }
}
