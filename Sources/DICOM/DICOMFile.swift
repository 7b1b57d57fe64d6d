public import Foundation

/// A parsed DICOM file or bare data set.
public struct DICOMFile: Sendable {
    /// True when the 128-byte preamble and "DICM" were present.
    public var hasPreamble: Bool
    /// Group 0002 elements (empty for a bare data set).
    public var fileMetaInformation: DataSet
    /// The data set proper (group 0002 excluded).
    public var dataSet: DataSet
    /// The syntax the data set was encoded in.
    public var transferSyntax: TransferSyntax
    /// Recoverable problems met while parsing, e.g. a last element cut short by the end of the
    /// file, which is dropped (as pydicom does) while the elements before it are kept.
    public var problems: [DICOMError] = []

    public init(hasPreamble: Bool, fileMetaInformation: DataSet, dataSet: DataSet, transferSyntax: TransferSyntax) {
        self.hasPreamble = hasPreamble
        self.fileMetaInformation = fileMetaInformation
        self.dataSet = dataSet
        self.transferSyntax = transferSyntax
    }
}
