public import Foundation

/// The outside DICOM validators the SR tests run: `dciodvfy` (Debian dicom3tools) checks a file
/// against its IOD, `dsrdump` (Debian dcmtk) parses and prints an SR content tree. Both are installed
/// by `make test` (Makefile APT_PACKAGES); a missing tool is a test failure, never a skip.
public enum DICOMValidators {
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
        /// Lines that report an error: dciodvfy's `Error - ...`, dcmtk's `E: ...` and `F: ...`, and
        /// dsrdump's "invalid code" for a code it cannot read.
        public var errors: [String] {
            output.split(separator: "\n").map(String.init).filter {
                $0.hasPrefix("Error") || $0.hasPrefix("E:") || $0.hasPrefix("F:") || $0.contains("invalid code")
            }
        }
        /// dciodvfy's `Warning - ...` and dcmtk's `W: ...`.
        public var warnings: [String] {
            output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("Warning") || $0.hasPrefix("W:") }
        }
        /// The warnings not in `reviewedSRWarnings`.
        public var unexpectedWarnings: [String] {
            warnings.filter { w in !DICOMValidators.reviewedSRWarnings.contains { w.contains($0) } }
        }
    }

    /// Warnings on our SRs that were reviewed and are accepted; any other warning fails the tests.
    public static let reviewedSRWarnings = [
        // Our private coding scheme (labels, probability) is, by design, not a DICOM defined term; the
        // document describes it in the Coding Scheme Identification Sequence.
        "Unrecognized defined term <99MEDINFER>",
        // Device UID in the Contributing Equipment Sequence is what IHE AIR asks for (the weights'
        // identity); Debian's dicom3tools predates it there, and so calls the SOP class "extended".
        "(0x0018,0x1002) UI Device UID",
        "this is a Standard Extended SOP Class",
        // Type 2 attributes that are empty because the source did not have them (PNG/JPEG input, or a
        // DICOM source without Study Date/ID): valid for storage, only a media directory wants them.
        "Missing attribute or value that would be needed to build DICOMDIR",
        // dcmtk's VR checker cannot check UTF-8, which we declare only when a text is not ASCII.
        "The VR checker does not support this Specific Character Set: ISO_IR 192",
    ]

    public struct MissingTool: Error, CustomStringConvertible {
        public var tool: String
        public var package: String
        public var description: String {
            "\(tool) is not installed: run `make test` (it installs the Debian package \(package)) or apt-get install \(package)"
        }
    }

    /// `dciodvfy FILE`: IOD, module and attribute checks (errors and warnings on stderr; its exit
    /// status does not reflect errors, so callers look at `errors`).
    public static func dciodvfy(_ file: URL) throws -> Result {
        try run("dciodvfy", package: "dicom3tools", [file.path])
    }

    /// `dsrdump FILE`: fails (status != 0, `E:` lines) when dcmtk cannot read the SR or finds its
    /// content tree invalid.
    public static func dsrdump(_ file: URL) throws -> Result {
        // +Pl: long texts in full, +Pc: concept name codes too (so every code is checked and visible).
        try run("dsrdump", package: "dcmtk", ["+Pl", "+Pc", file.path])
    }

    static func run(_ tool: String, package: String, _ arguments: [String]) throws -> Result {
        let path = ["/usr/bin", "/usr/local/bin", "/bin"].map { "\($0)/\(tool)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { throw MissingTool(tool: tool, package: package) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
