import Foundation
@testable import JobQueue
import Testing

/// `Timestamp.iso8601` formats integer milliseconds by arithmetic; Foundation's formatter is the reference.
@Suite struct TimestampTests {
    /// Whole seconds through `ISO8601DateFormatter` (exact for integral times), the milliseconds inserted.
    static func reference(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        let seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000)
        let text = f.string(from: Date(timeIntervalSince1970: Double(seconds)))
        let millis = ms - seconds * 1000
        return text.dropLast() + "." + String(repeating: "0", count: 3 - String(millis).count) + String(millis) + "Z"
    }

    @Test(arguments: [
        Int64(0), 1, 999, 1000, 86_399_999, 86_400_000,
        951_782_400_000,        // 2000-02-29 (leap day of a century divisible by 400)
        4_107_542_399_999,      // 2100-02-28T23:59:59.999 (2100 is not a leap year)
        4_107_542_400_000,      // 2100-03-01
        1_796_303_903_264,      // 2026-12-04T12:58:23.264
        1_798_761_599_999,      // 2026-12-31T23:59:59.999
        253_402_300_799_999,    // 9999-12-31T23:59:59.999
        -1,                     // 1969-12-31T23:59:59.999
    ])
    func matchesFoundation(_ ms: Int64) {
        #expect(Timestamp.iso8601(ms) == Self.reference(ms))
    }

    @Test func everyDayOfFourHundredYearsMatches() {
        // Noon of every 7th day from 1970 to 2370 covers every month, leap rule and century.
        for day in stride(from: Int64(0), to: 146_097, by: 7) {
            let ms = day * 86_400_000 + 43_200_123
            #expect(Timestamp.iso8601(ms) == Self.reference(ms), "day \(day)")
        }
    }
}
