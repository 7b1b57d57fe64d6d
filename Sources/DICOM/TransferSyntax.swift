/// Transfer syntaxes (PS3.5 Section 10 and Annex A) the reader knows by name.
public struct TransferSyntax: Hashable, Sendable, CustomStringConvertible {
    public let uid: String
    public let name: String
    public let isExplicitVR: Bool
    public let isLittleEndian: Bool
    public let isDeflated: Bool
    /// Pixel data is encapsulated (compressed fragments).
    public let isEncapsulated: Bool

    public var description: String { "\(name) (\(uid))" }

    public static let implicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2", name: "Implicit VR Little Endian", isExplicitVR: false, isLittleEndian: true, isDeflated: false, isEncapsulated: false)
    public static let explicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1", name: "Explicit VR Little Endian", isExplicitVR: true, isLittleEndian: true, isDeflated: false, isEncapsulated: false)
    public static let deflatedExplicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1.99", name: "Deflated Explicit VR Little Endian", isExplicitVR: true, isLittleEndian: true, isDeflated: true, isEncapsulated: false)
    public static let explicitVRBigEndian = TransferSyntax(uid: "1.2.840.10008.1.2.2", name: "Explicit VR Big Endian", isExplicitVR: true, isLittleEndian: false, isDeflated: false, isEncapsulated: false)
    public static let rleLossless = encapsulated("1.2.840.10008.1.2.5", "RLE Lossless")
    public static let jpegBaseline8Bit = encapsulated("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)")
    public static let jpegExtended12Bit = encapsulated("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)")
    public static let jpegLosslessP14 = encapsulated("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)")
    public static let jpegLosslessSV1 = encapsulated("1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])")
    public static let jpegLSLossless = encapsulated("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless")
    public static let jpegLSNearLossless = encapsulated("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless)")
    public static let jpeg2000Lossless = encapsulated("1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)")
    public static let jpeg2000 = encapsulated("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression")
    public static let htj2kLossless = encapsulated("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (Lossless Only)")
    public static let htj2kLosslessRPCL = encapsulated("1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)")
    public static let htj2k = encapsulated("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000")

    private static func encapsulated(_ uid: String, _ name: String) -> TransferSyntax {
        TransferSyntax(uid: uid, name: name, isExplicitVR: true, isLittleEndian: true, isDeflated: false, isEncapsulated: true)
    }

    public static let known: [TransferSyntax] = [
        .implicitVRLittleEndian, .explicitVRLittleEndian, .deflatedExplicitVRLittleEndian, .explicitVRBigEndian,
        .rleLossless, .jpegBaseline8Bit, .jpegExtended12Bit, .jpegLosslessP14, .jpegLosslessSV1, .jpegLSLossless,
        .jpegLSNearLossless, .jpeg2000Lossless, .jpeg2000, .htj2kLossless, .htj2kLosslessRPCL, .htj2k,
    ]

    /// Pixel data of these syntaxes can be decoded by `Imaging`.
    public static let decodable: Set<String> = [
        implicitVRLittleEndian.uid, explicitVRLittleEndian.uid, deflatedExplicitVRLittleEndian.uid,
        explicitVRBigEndian.uid, rleLossless.uid, jpegBaseline8Bit.uid, jpeg2000Lossless.uid, jpeg2000.uid,
    ]

    /// Looks a UID up; unknown UIDs are treated as Explicit VR Little Endian encapsulated data
    /// (PS3.5 A.4: all compressed syntaxes use explicit VR LE for the data set).
    public static func lookup(_ uid: String) -> TransferSyntax {
        if let ts = known.first(where: { $0.uid == uid }) { return ts }
        return TransferSyntax(uid: uid, name: "unknown transfer syntax", isExplicitVR: true, isLittleEndian: true,
                              isDeflated: false, isEncapsulated: true)
    }
}
