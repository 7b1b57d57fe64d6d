/// A failure the CLI reports: the message (already naming the file) and the exit code.
struct CLIError: Error {
    var message: String
    /// 1 bad input or usage, 2 internal error.
    var exitCode: Int32

    static func input(_ file: String, _ problem: some CustomStringConvertible) -> CLIError {
        CLIError(message: "\(file): \(problem)", exitCode: 1)
    }

    static func `internal`(_ what: String) -> CLIError {
        CLIError(message: "internal error: \(what)", exitCode: 2)
    }
}
