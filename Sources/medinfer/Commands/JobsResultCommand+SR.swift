import Annotations
import Foundation
import JobQueue

extension JobsResultCommand {
    /// Writes the job's DICOM SR to `--output` (a file, or `<folder>/<job id>.sr.dcm`); returns the path.
    func writeStructuredReport(_ queue: JobQueue, _ job: JobStatus) throws -> String {
        let inputs = try queueCall { () throws(JobQueueError) in try queue.structuredReportInputs(id) }
        guard !inputs.isEmpty else {
            throw CLIError(message: "job \(id) is \(job.status.rawValue) and has no succeeded image to report", exitCode: 1)
        }
        let data: Data
        do { data = try StructuredReportWriter().write(inputs) } catch {
            throw CLIError(message: "job \(id): cannot make the DICOM SR: \(error)", exitCode: 1)
        }
        let path = output ?? "."
        var isDir: ObjCBool = false
        let url = FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
            ? OutputFiles(directory: URL(fileURLWithPath: path, isDirectory: true)).structuredReportURL(base: id)
            : URL(fileURLWithPath: path)
        do { try data.write(to: url, options: .atomic) } catch {
            throw CLIError.input(url.path, (error as NSError).localizedDescription)
        }
        return url.path
    }
}
