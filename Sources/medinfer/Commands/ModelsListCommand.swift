import ArgumentParser
import Foundation
import Models

struct ModelsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Models in the repository: versions, the active one, its SHA-256 prefix, task and status.",
        discussion: """
            Every version is verified (checksums, shapes, canaries) before it is listed as such.

            Example:
              medinfer models list --root Models
            """
    )

    @OptionGroup var repository: RepositoryOptions
    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let repo = try repository.open()
        repo.reload()
        let models = repo.models()
        if json {
            let array: [[String: Any]] = models.map { m in
                [
                    "name": m.name, "active": m.active as Any, "pinned": m.pinned as Any, "sha256": m.sha256 as Any,
                    "task": m.task?.rawValue as Any,
                    "versions": m.versions.map { v -> [String: Any] in
                        var d: [String: Any] = ["version": v.version, "status": statusWord(v.state)]
                        if case .refused(let reason) = v.state { d["reason"] = reason }
                        if let s = v.sha256 { d["sha256"] = s }
                        return d
                    },
                ]
            }
            let data = try JSONSerialization.data(withJSONObject: array, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        if models.isEmpty {
            print("no models in \(repository.url.path)")
            return
        }
        var rows = [["NAME", "VERSIONS", "ACTIVE", "SHA256", "TASK", "STATUS"]]
        for m in models {
            let refused = m.versions.filter { if case .refused = $0.state { true } else { false } }.map(\.version)
            let status = m.active == nil ? "no verified version"
                : refused.isEmpty ? "ok" : "refused " + refused.map(String.init).joined(separator: ",")
            rows.append([m.name, m.versions.map { String($0.version) }.joined(separator: ","),
                         m.active.map { String($0) + (m.pinned == $0 ? " (pinned)" : "") } ?? "-",
                         m.sha256.map { String($0.prefix(12)) } ?? "-", m.task?.rawValue ?? "-", status])
        }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        for r in rows {
            print(zip(r, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces))
        }
        for m in models {
            for v in m.versions {
                if case .refused(let reason) = v.state { print("\(m.name) \(v.version) refused: \(reason)") }
            }
        }
    }
}

func statusWord(_ s: VersionState) -> String {
    switch s {
    case .verified: return "verified"
    case .refused: return "refused"
    case .unverified: return "unverified"
    }
}
