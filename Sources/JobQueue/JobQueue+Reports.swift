import Annotations
import Foundation

/// Reading stored reports (for `result`, `worklist` and the SR).
extension JobQueue {
    /// The report blobs of a job's images, in image order.
    static func reportBlobs(_ tx: any SQLTransaction, _ id: String) throws -> [String] {
        try tx.fetchAll("SELECT blob FROM artifacts WHERE job_id = ? AND name = ? ORDER BY idx", [id, Artifact.reportName])
            .map { $0["blob"] }
    }

    /// Reads and decodes stored reports.
    func reports(_ blobs: [String]) throws(JobQueueError) -> [Report] {
        var reports: [Report] = []
        for sha in blobs {
            let data = try self.blobs.read(sha)
            do { reports.append(try JSONDecoder().decode(Report.self, from: data)) } catch {
                throw .storage(path: self.blobs.location(of: sha), reason: "stored report is not valid: \(error)")
            }
        }
        return reports
    }
}
