import ArgumentParser
import DICOMNetwork
import Foundation
import NIOCore
import Synchronization

struct DicomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dicom",
        abstract: "DICOM network checks against a DICOM node (ours or another).",
        subcommands: [DicomEchoCommand.self]
    )
}

struct DicomEchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Sends a C-ECHO (Verification) and prints the status.",
        discussion: """
            Associates with HOST:PORT as --ae-title, calling --called, sends one C-ECHO and releases. Exit 0 when \
            the peer answers Success, 1 when it rejects, aborts, answers another status or cannot be reached.

            Examples:
              medinfer dicom echo 127.0.0.1 11112 --ae-title ECHOSCU --called MEDINFER
              medinfer dicom echo pacs.local 104 --ae-title MEDINFER --called PACS --json
            """
    )

    @Argument(help: "Host name or address of the peer.")
    var host: String

    @Argument(help: "Port of the peer.")
    var port: Int

    @Option(help: "Our (calling) AE title (default MEDINFER).")
    var aeTitle = "MEDINFER"

    @Option(help: "The peer's (called) AE title (default ANY-SCP).")
    var called = "ANY-SCP"

    @Option(help: "Seconds allowed for the whole exchange (default 30).")
    var timeout = 30

    @Flag(help: "Print {\"host\", \"port\", \"status\", \"success\"} as JSON.")
    var json = false

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("PORT must be 1...65535") }
        for title in [aeTitle, called] where title.isEmpty || title.utf8.count > 16 || !title.allSatisfy({ $0.isASCII && $0 != "\\" }) {
            throw ValidationError("AE title '\(title)': 1 to 16 ASCII characters without backslash")
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        let outcome: Result<UInt16, any Error>
        do {
            outcome = .success(try await DICOMConnection.echo(host: host, port: port, callingAETitle: aeTitle, calledAETitle: called,
                                                              timeout: .seconds(Int64(timeout))))
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let status):
            let hex = String(format: "0x%04X", status)
            if json {
                let object: [String: Any] = ["host": host, "port": port, "status": hex, "success": status == 0]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("C-ECHO \(host):\(port) (\(called)): status \(hex)\(status == 0 ? " Success" : "")")
            }
            if status != 0 { throw CLIError(message: "\(host):\(port): C-ECHO status \(hex)", exitCode: 1) }
        case .failure(let error):
            throw CLIError(message: "\(host):\(port): \(error)", exitCode: 1)
        }
    }
}
