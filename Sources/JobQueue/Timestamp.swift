import Foundation

/// Times are stored as integer milliseconds since 1970 (UTC): exact, sortable, and the same in every
/// process that shares the database.
public enum Timestamp {
    /// Now, in milliseconds since 1970.
    public static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// `d` in whole milliseconds.
    public static func milliseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC), computed from the integer milliseconds. Not through
    /// `ISO8601DateFormatter`: creating one per call cost about 10 % of the server's CPU under load (every
    /// `GET /v1/jobs/{id}` formats up to three times), and integer arithmetic is exact.
    public static func iso8601(_ ms: Int64) -> String {
        let (seconds, millis) = ms.quotientAndRemainder(dividingBy: 1000)
        var (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        var fraction = millis
        if fraction < 0 { fraction += 1000; secondOfDay -= 1 }
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil inverse, proleptic Gregorian).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ width: Int) -> String {
            let text = String(v)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 3))Z"
    }
}
