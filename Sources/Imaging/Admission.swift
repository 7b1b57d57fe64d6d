public import DICOM
public import Foundation

/// A scan as admitted: its bytes parsed and decoded once, with what every later stage needs (the pixels,
/// the DICOM data set for the SR and the modality check, the instance's identifiers). Every intake (upload,
/// STOW-RS, C-STORE), the worker and `medinfer analyze` admit a scan through `Admission` and nothing else.
public struct AdmittedScan: Sendable {
    /// The decoded pixels (first frame) and, for DICOM, the parsed file (`image.dicom`).
    public let image: DecodedImage

    /// The parsed DICOM file, nil for PNG and JPEG.
    public var dicom: DICOMFile? { image.dicom }
    /// (0008,0060) Modality, nil when absent or not DICOM.
    public var modality: String? { dicom?.dataSet.string(.modality) }
    public var sopClassUID: String? { dicom?.dataSet.string(.sopClassUID) }
    public var sopInstanceUID: String? { dicom?.dataSet.string(.sopInstanceUID) }
    public var studyInstanceUID: String? { dicom?.dataSet.string(.studyInstanceUID) }
    public var seriesInstanceUID: String? { dicom?.dataSet.string(.seriesInstanceUID) }
}

/// The identifiers of a DICOM instance, as far as its data set has them (a refusal names what it could).
public struct InstanceIdentifiers: Sendable, Equatable {
    public var sopClassUID: String?
    public var sopInstanceUID: String?
    public var studyInstanceUID: String?

    public init(sopClassUID: String?, sopInstanceUID: String?, studyInstanceUID: String?) {
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
        self.studyInstanceUID = studyInstanceUID
    }

    init(_ ds: DataSet) {
        sopClassUID = ds.string(.sopClassUID).flatMap { $0.isEmpty ? nil : $0 }
        sopInstanceUID = ds.string(.sopInstanceUID).flatMap { $0.isEmpty ? nil : $0 }
        studyInstanceUID = ds.string(.studyInstanceUID).flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// Why a scan was not admitted. Intakes map each case to their protocol's answer (HTTP 400, a STOW-RS
/// failure reason, a C-STORE status).
public enum AdmissionError: Error, Sendable, CustomStringConvertible {
    /// The bytes are no image we read (unknown format, corrupt, over a limit).
    case undecodable(ImagingError)
    /// A DICOM instance was required and the bytes do not parse as one.
    case notDICOM(DICOMError)
    /// The instance lacks an identifier every stored instance needs (their keywords).
    case missingIdentifiers([String], InstanceIdentifiers)
    /// The instance has no Pixel Data (7FE0,0010): not an image this server analyses.
    case noPixelData(InstanceIdentifiers)
    /// The instance parses but its pixel data cannot be decoded.
    case undecodablePixels(ImagingError, InstanceIdentifiers)

    /// What the refused instance's data set says about itself; nil when it did not parse.
    public var identifiers: InstanceIdentifiers? {
        switch self {
        case .undecodable, .notDICOM: nil
        case .missingIdentifiers(_, let ids), .noPixelData(let ids), .undecodablePixels(_, let ids): ids
        }
    }

    public var description: String {
        switch self {
        case .undecodable(let e): "cannot be decoded: \(e)"
        case .notDICOM(let e): "not a DICOM instance: \(e)"
        case .missingIdentifiers(let names, _): "\(names.joined(separator: ", ")) \(names.count == 1 ? "is" : "are") missing"
        case .noPixelData(let ids): "the instance has no pixel data (SOP class \(ids.sopClassUID ?? "?"))"
        case .undecodablePixels(let e, _): "the pixel data cannot be decoded: \(e)"
        }
    }
}

/// The one admission of a scan. CPU work (parsing, decoding): callers on an async path run it on
/// `Core.Blocking`.
public enum Admission {
    /// Admits PNG, JPEG or DICOM bytes: decoded once (first frame).
    public static func admit(_ data: Data, limits: DecodeLimits = .default) throws(AdmissionError) -> AdmittedScan {
        do { return AdmittedScan(image: try Imaging.decode(data, limits: limits)) } catch { throw .undecodable(error) }
    }

    /// Admits a DICOM instance as an archive stores it (STOW-RS, C-STORE): Part 10 bytes that parse, carry
    /// SOP Class, SOP Instance and Study Instance UIDs and pixel data that decodes.
    public static func admitInstance(_ part10: Data, limits: DecodeLimits = .default) throws(AdmissionError) -> AdmittedScan {
        let file: DICOMFile
        do { file = try DICOMParser.parse(part10) } catch { throw .notDICOM(error) }
        let ids = InstanceIdentifiers(file.dataSet)
        let missing = [("SOPClassUID", ids.sopClassUID), ("SOPInstanceUID", ids.sopInstanceUID), ("StudyInstanceUID", ids.studyInstanceUID)]
            .filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty else { throw .missingIdentifiers(missing, ids) }
        guard file.dataSet.contains(.pixelData) else { throw .noPixelData(ids) }
        do { return AdmittedScan(image: try DICOMImageDecoder().decode(file, limits: limits)) } catch { throw .undecodablePixels(error, ids) }
    }
}
