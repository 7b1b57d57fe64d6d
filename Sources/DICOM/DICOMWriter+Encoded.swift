public import Foundation

extension DICOMWriter {
    /// A Part 10 file around a data set that is already encoded, e.g. as received over the network:
    /// preamble, "DICM", File Meta Information naming `transferSyntaxUID`, then `encodedDataSet` byte for
    /// byte (PS3.10 7.1). The data set is not re-encoded, so compressed pixel data stays as it came.
    public static func part10(encodedDataSet: Data, sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String,
                              options: Options = Options()) throws(DICOMWriteError) -> Data {
        var ids = DataSet()
        ids.set(.sopClassUID, .UI, sopClassUID)
        ids.set(.sopInstanceUID, .UI, sopInstanceUID)
        var meta = try fileMetaInformation(for: ids, options: options)
        meta.set(.transferSyntaxUID, .UI, transferSyntaxUID)
        var encoder = ExplicitLittleEndianEncoder(sequenceLength: options.sequenceLength)
        // Recompute the group length for the new transfer syntax value.
        let withoutLength = DataSet(elements: meta.sortedElements.filter { $0.tag != .fileMetaInformationGroupLength })
        try encoder.write(withoutLength, path: "", includeGroup2: true)
        meta.set(.fileMetaInformationGroupLength, .UL, uint32: UInt32(encoder.bytes.count))
        encoder.bytes = []
        try encoder.write(meta, path: "", includeGroup2: true)
        var out = Data(count: 128)
        out.append(contentsOf: Array("DICM".utf8))
        out.append(contentsOf: encoder.bytes)
        out.append(encodedDataSet)
        return out
    }
}
