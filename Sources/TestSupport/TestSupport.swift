public import Foundation
public import Tensor

/// Paths of committed test fixtures (`Tests/Fixtures/`), found relative to this source file.
public enum Fixtures {
    /// `Tests/Fixtures`
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("Tests/Fixtures")

    /// The package root (where Package.swift is).
    public static let packageRoot: URL = root.deletingLastPathComponent().deletingLastPathComponent()

    /// `Tests/Fixtures/<relativePath>`
    public static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    public static func data(_ relativePath: String) throws -> Data { try Data(contentsOf: url(relativePath)) }

    /// Every file under `Tests/Fixtures/<folder>` with one of `extensions` (lowercased, no dot), sorted.
    public static func files(in folder: String, extensions: Set<String>) -> [URL] {
        let base = url(folder)
        guard let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        var out: [URL] = []
        for case let u as URL in e where extensions.contains(u.pathExtension.lowercased()) { out.append(u) }
        return out.sorted { $0.path < $1.path }
    }
}

/// The largest difference between two arrays and where it is.
public struct Difference: Sendable, CustomStringConvertible {
    public var maxAbs: Double
    public var maxRel: Double
    public var index: Int
    public var lhs: Double
    public var rhs: Double
    public var description: String {
        "max |diff| \(maxAbs) (relative \(maxRel)) at index \(index): \(lhs) vs \(rhs)"
    }
}

/// Compares element-wise; `nil` when the counts differ.
public func difference(_ a: [Double], _ b: [Double]) -> Difference? {
    guard a.count == b.count else { return nil }
    var d = Difference(maxAbs: 0, maxRel: 0, index: -1, lhs: 0, rhs: 0)
    for i in a.indices {
        let diff = abs(a[i] - b[i])
        if diff > d.maxAbs || (diff.isNaN && !d.maxAbs.isNaN) {
            d.maxAbs = diff
            d.index = i
            d.lhs = a[i]
            d.rhs = b[i]
        }
        let rel = diff / max(abs(b[i]), 1e-12)
        if rel > d.maxRel { d.maxRel = rel }
    }
    return d
}

/// True when every |a - b| <= abs + rel * |b|.
public func allClose(_ a: [Double], _ b: [Double], abs absTol: Double = 0, rel relTol: Double = 0) -> Bool {
    guard a.count == b.count else { return false }
    for i in a.indices where !(abs(a[i] - b[i]) <= absTol + relTol * abs(b[i])) { return false }
    return true
}

/// A small deterministic PRNG (SplitMix64) for reproducible random tests.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (0 when n <= 0), the same on every machine for a seed.
    public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}

extension Tensor {
    /// Loads a committed reference array `Tests/Fixtures/<relativePath>` (`.npy` or gzip-compressed `.npy.gz`).
    public static func fixture(_ relativePath: String) throws -> Tensor {
        guard relativePath.hasSuffix(".gz") else { return try NPY.read(from: Fixtures.url(relativePath)) }
        guard let raw = gunzip(try Fixtures.data(relativePath)) else {
            throw NPYError.io(path: relativePath, reason: "not a valid gzip stream")
        }
        return try NPY.decode(raw)
    }
}
