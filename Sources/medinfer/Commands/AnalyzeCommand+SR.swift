import Annotations
import DICOM
import Foundation

extension AnalyzeCommand {
    /// Writes `report` as a DICOM SR in `dir` and returns its path. The name is the image file's stem
    /// + `.sr.dcm`; a stem met before in this run (`taken`) gets `-2`, `-3`, ... so that `a.dcm` and
    /// `a.png` do not overwrite each other. A file left by an earlier run is replaced.
    static func writeSR(_ report: Report, source: DataSet?, to dir: String, taken: inout Set<String>) throws(CLIError) -> String {
        let data: Data
        do { data = try StructuredReportWriter().write([StructuredReportWriter.Input(report: report, source: source)]) } catch {
            throw CLIError(message: "cannot make the DICOM SR: \(error)", exitCode: 2)
        }
        let file = URL(fileURLWithPath: report.source.path ?? "image-\(report.image)")
        let stem = file.deletingPathExtension().lastPathComponent
        var name = stem + StructuredReportWriter.fileExtension
        var n = 1
        while !taken.insert(name).inserted {
            n += 1
            name = "\(stem)-\(n)" + StructuredReportWriter.fileExtension
        }
        let url = URL(fileURLWithPath: dir).appendingPathComponent(name)
        do { try data.write(to: url, options: .atomic) } catch {
            throw CLIError(message: "cannot write \(url.path): \(error.localizedDescription)", exitCode: 1)
        }
        return url.path
    }
}
