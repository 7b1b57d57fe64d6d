public import Foundation

/// The files written for analysed images into one output folder: `<base>.report.json`,
/// `<base>.overlay.png` and `<base>.sr.dcm`, where `<base>` is the analysed file's name (`scan.dcm`), so a report and its
/// overlay sort together and `x.png` and `x.dcm` never collide. Two files of one run with the same name
/// (from two folders) get distinct bases: the later one is prefixed with its image index (`3-scan.dcm`).
public struct OutputFiles: Sendable {
    /// Why a file could not be written.
    public struct WriteError: Error, Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    public let directory: URL
    private var taken: Set<String> = []

    public init(directory: URL) {
        self.directory = directory
    }

    /// A base name for `path` (analysed as image `index`) that no earlier call of this run returned.
    public mutating func base(for path: String, image index: Int) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        var candidate = name
        var attempt = 0
        while !taken.insert(candidate).inserted {
            attempt += 1
            candidate = attempt == 1 ? "\(index)-\(name)" : "\(index)-\(attempt)-\(name)"
        }
        return candidate
    }

    /// `<directory>/<base>.report.json`
    public func reportURL(base: String) -> URL { directory.appendingPathComponent(base + ResultFormat.json.fileExtension) }

    /// `<directory>/<base>.overlay.png`
    public func overlayURL(base: String) -> URL { directory.appendingPathComponent(base + ".overlay.png") }

    /// `<directory>/<base>.sr.dcm`
    public func structuredReportURL(base: String) -> URL {
        directory.appendingPathComponent(base + ResultFormat.sr.fileExtension)
    }

    /// Writes a DICOM SR's Part 10 bytes atomically; returns the path.
    public func writeStructuredReport(_ dicom: Data, base: String) throws(WriteError) -> String {
        let url = structuredReportURL(base: base)
        try Self.write(dicom, to: url)
        return url.path
    }

    /// Writes an overlay's PNG bytes atomically to `overlayURL(base:)`.
    public func writeOverlay(_ png: Data, base: String) throws(WriteError) {
        try Self.write(png, to: overlayURL(base: base))
    }

    /// Writes one report as a JSON line, atomically.
    public func writeReport(_ report: Report, base: String) throws(WriteError) {
        let url = reportURL(base: base)
        let line: String
        do { line = try report.jsonLine() } catch { throw WriteError(path: url.path, reason: "\(error)") }
        try Self.write(Data((line + "\n").utf8), to: url)
    }

    static func write(_ data: Data, to url: URL) throws(WriteError) {
        do { try data.write(to: url, options: .atomic) } catch {
            throw WriteError(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }
}
