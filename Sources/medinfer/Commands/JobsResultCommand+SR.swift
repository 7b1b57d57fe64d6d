import Annotations
import Foundation
import JobQueue

extension JobsResultCommand {
    /// Writes the job's DICOM SR to `--output` (a file, or `<folder>/<job id>.sr.dcm`); returns the path.
    func writeStructuredReport(_ source: any JobsBackend) async throws -> String {
        let data = try await source.structuredReport(id)
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
