public import Foundation

/// One data element as read from a data set.
///
/// Binary values are kept in **little-endian** byte order whatever the transfer syntax
/// (the parser swaps big-endian words on read), so accessors never need the byte order.
public struct DataElement: Sendable {
    public enum Value: Sendable {
        /// Raw value bytes (little-endian for binary VRs; trailing padding kept).
        case bytes(Data)
        /// A sequence of items, each a nested data set.
        case sequence([DataSet])
        /// Encapsulated (compressed) pixel data: Basic Offset Table and fragments.
        case encapsulated(EncapsulatedPixelData)
    }

    public let tag: Tag
    public let vr: VR
    public let value: Value
    /// Byte offset of the element's tag in the parsed buffer (after inflation for deflated syntaxes).
    public let offset: Int

    public init(tag: Tag, vr: VR, value: Value, offset: Int) {
        self.tag = tag
        self.vr = vr
        self.value = value
        self.offset = offset
    }

    /// The raw bytes, or nil for sequences and encapsulated pixel data.
    public var bytes: Data? {
        if case .bytes(let d) = value { return d }
        return nil
    }

    public var items: [DataSet]? {
        if case .sequence(let s) = value { return s }
        return nil
    }
}

/// Encapsulated pixel data (PS3.5 A.4): the Basic Offset Table and the fragments in order.
public struct EncapsulatedPixelData: Sendable {
    /// Offsets of each frame's first fragment, relative to the first fragment's item tag; may be empty.
    public var basicOffsetTable: [UInt32]
    /// Each fragment's bytes.
    public var fragments: [Data]
    /// For each fragment, its item tag offset relative to the first fragment's item tag.
    public var fragmentOffsets: [UInt32]
    /// Extended Offset Table (7FE0,0001) when the data set has one: each frame's first fragment
    /// item tag offset, relative to the first fragment's item tag (like the Basic Offset Table).
    public var extendedOffsets: [UInt64]? = nil
    /// Extended Offset Table Lengths (7FE0,0002): each frame's length in bytes.
    public var extendedLengths: [UInt64]? = nil

    public init(basicOffsetTable: [UInt32], fragments: [Data], fragmentOffsets: [UInt32]) {
        self.basicOffsetTable = basicOffsetTable
        self.fragments = fragments
        self.fragmentOffsets = fragmentOffsets
    }
}
