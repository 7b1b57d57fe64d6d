import Foundation

/// ANSI colour, only when stdout is a terminal and NO_COLOR is unset (https://no-color.org).
struct TerminalStyle {
    var enabled: Bool

    static var standardOutput: TerminalStyle {
        TerminalStyle(enabled: isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
    }

    /// Bold red.
    func alert(_ text: String) -> String { enabled ? "\u{1B}[1;31m\(text)\u{1B}[0m" : text }
    /// Bold.
    func strong(_ text: String) -> String { enabled ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
}
