import Annotations
import DICOM
import Foundation

extension AnalyzeCommand {
    /// Writes `report` as `DIR/<base>.sr.dcm` (a DICOM Comprehensive 3D SR that copies patient and study
    /// from `source`, the source DICOM's attributes, when there is one); returns the path.
    static func structuredReport(_ report: Report, source: DataSet?, outputs: OutputFiles, base: String) throws(CLIError) -> String {
        let data: Data
        do { data = try StructuredReportWriter().write([StructuredReportWriter.Input(report: report, source: source)]) } catch {
            throw CLIError(message: "cannot make the DICOM SR: \(error)", exitCode: 2)
        }
        do { return try outputs.writeStructuredReport(data, base: base) } catch {
            throw CLIError(message: "\(error)", exitCode: 1)
        }
    }
}
