public import Foundation

/// STUB: replaced by the DICOM parser work.
public enum DICOMParser {
    public static func parse(_ data: Data, limits: ParseLimits = .default) throws(DICOMError) -> DICOMFile {
        throw .notDICOM(reason: "parser not written yet")
    }
    public static func looksLikeDICOM(_ header: Data) -> Bool { false }
}
