public import Foundation

/// Specific Character Set (0008,0005): how text VRs LO, LT, PN, SH, ST, UC and UT are decoded.
/// STUB: replaced by the DICOM parser work.
public struct SpecificCharacterSet: Sendable, Equatable {
    public var terms: [String]
    public init(terms: [String]) { self.terms = terms }
    public static let `default` = SpecificCharacterSet(terms: [])
    public func decode(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }
}
