import ArgumentParser
import Foundation

/// `--server URL --api-key KEY` (or `MEDINFER_SERVER`, `MEDINFER_API_KEY`) for remote mode, else the local
/// `--data-dir`: shared by the `jobs` and `review` subcommands.
struct BackendOptions: ParsableArguments {
    @Option(help: "A running `medinfer serve` to talk to instead of a local data directory (default: $MEDINFER_SERVER), e.g. http://pacs-ai:8080.")
    var server: String?

    @Option(help: "The API key for --server (default: $MEDINFER_API_KEY).")
    var apiKey: String?

    @OptionGroup var data: DataDirOptions

    /// The server's URL when in remote mode (flag, else a non-empty `MEDINFER_SERVER`).
    var serverURL: String? {
        server ?? ProcessInfo.processInfo.environment["MEDINFER_SERVER"].flatMap { $0.isEmpty ? nil : $0 }
    }

    var isRemote: Bool { serverURL != nil }

    /// The backend: remote with a server, else the local queue (`repository` resolves `--model` for a local
    /// `submit`).
    func open(repository: RepositoryOptions? = nil) async throws -> any JobsBackend {
        guard let serverURL else {
            if apiKey != nil { throw CLIError(message: "--api-key needs --server URL (or MEDINFER_SERVER)", exitCode: 1) }
            return LocalJobsBackend(queue: try await data.open(), repository: repository)
        }
        if data.dataDir != nil {
            throw CLIError(message: "--data-dir is for local mode; with --server (or MEDINFER_SERVER) the server's data is used", exitCode: 1)
        }
        guard let key = apiKey ?? ProcessInfo.processInfo.environment["MEDINFER_API_KEY"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw CLIError(message: "--server needs --api-key KEY (or MEDINFER_API_KEY)", exitCode: 1)
        }
        guard let url = URL(string: serverURL), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host != nil
        else {
            throw CLIError(message: "--server: expected an http:// or https:// URL, got '\(serverURL)'", exitCode: 1)
        }
        return RemoteJobsBackend(client: HTTPClient(base: url, apiKey: key))
    }
}
