/// Bounds applied while parsing untrusted bytes. Exceeding one is a typed error, never a trap.
public struct ParseLimits: Sendable {
    /// Largest single element value in bytes (pixel data included).
    public var maxElementLength: Int = 1 << 31
    /// Deepest sequence nesting.
    public var maxSequenceDepth: Int = 32
    /// Most elements in one file, items of sequences included.
    public var maxElementCount: Int = 1_000_000
    /// Largest inflated size of a deflated data set.
    public var maxInflatedSize: Int = 1 << 31
    /// Most fragments of encapsulated pixel data.
    public var maxFragments: Int = 1 << 20

    public init() {}
    public static let `default` = ParseLimits()
}
