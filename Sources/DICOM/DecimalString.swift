import Foundation

/// Formats numbers as Decimal Strings (DS: at most 16 characters).
public enum DecimalString {
    /// The shortest text of `value` that fits in 16 characters, losing as little precision as needed
    /// (`%.{p}G` with p from 16 down); nil for NaN and infinities, which DS cannot hold.
    public static func format(_ value: Double) -> String? {
        guard value.isFinite else { return nil }
        let shortest = "\(value)"
        if shortest.count <= 16, !shortest.contains("e") {
            return shortest.hasSuffix(".0") ? String(shortest.dropLast(2)) : shortest
        }
        for precision in stride(from: 16, through: 1, by: -1) {
            let s = String(format: "%.\(precision)G", value)
            if s.count <= 16 { return s }
        }
        return nil
    }
}
