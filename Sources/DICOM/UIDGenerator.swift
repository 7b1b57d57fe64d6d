public import Foundation

/// Makes UIDs (PS3.5 9) under a configurable root.
///
/// The default root `2.25.` is followed by the decimal integer of a UUID (PS3.5 B.2), which needs
/// no registration. Under another root (an organisation's OID, ending with "."), the integer is cut
/// to the digits left within the 64-character limit; the root must leave room for at least 20 of
/// them (about 66 bits), so that random UIDs stay unique in practice.
public struct UIDGenerator: Sendable {
    public static let defaultRoot = "2.25."
    /// The prefix every UID starts with, ending with ".".
    public let root: String

    /// The default root, `2.25.`.
    public init() { root = Self.defaultRoot }

    /// A generator under `root`; throws when it is not a UID prefix ending with "." or is too long.
    public init(root: String) throws(DICOMWriteError) {
        guard root.hasSuffix(".") else { throw .invalidUIDRoot(root, reason: "must end with '.'") }
        guard root.count <= 64 - 20 else { throw .invalidUIDRoot(root, reason: "longer than 44 characters leaves too few digits") }
        if let problem = VRValidator.formatProblem(String(root.dropLast()), vr: .UI) {
            throw .invalidUIDRoot(root, reason: problem)
        }
        self.root = root
    }

    /// A new UID from a random (version 4) UUID.
    public func make() -> String { make(uuid: UUID()) }

    /// The UID of a given UUID: deterministic, so the same UUID always gives the same UID.
    public func make(uuid: UUID) -> String {
        let u = uuid.uuid
        let bytes = [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
        let value = bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
        return root + String(String(value).prefix(64 - root.count))
    }

    /// A UID derived from a digest (e.g. a file's SHA-256): its first 16 bytes become a version 8
    /// ("custom", RFC 9562) UUID, so the same content always gives the same UID. Nil when fewer than
    /// 16 bytes are given.
    public func make(digest: some Collection<UInt8>) -> String? {
        var b = Array(digest.prefix(16))
        guard b.count == 16 else { return nil }
        b[6] = (b[6] & 0x0F) | 0x80  // version 8
        b[8] = (b[8] & 0x3F) | 0x80  // RFC 9562 variant
        return make(uuid: UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                                      b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])))
    }
}
