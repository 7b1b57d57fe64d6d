import Foundation

extension ModelRepository {
    /// Re-checks every version on disk (of `name`, or of every model) from its files: checksums, signature
    /// and canaries. Reports only; serving changes through `reload()`.
    public func verify(_ name: String? = nil) -> [VerificationResult] {
        if let name, !Self.isValidName(name) { return [] }
        let names = name.map { [$0] } ?? Self.subfolders(of: root).filter { Self.isValidName($0) }.sorted()
        var results: [VerificationResult] = []
        for n in names {
            let folder = root.appendingPathComponent(n)
            for v in Self.versionFolders(in: folder).sorted() {
                let dir = folder.appendingPathComponent(String(v))
                do {
                    let loaded = try verifyVersion(at: dir, name: n, version: v)
                    results.append(VerificationResult(name: n, version: v, failure: nil, sha256: loaded.sha256,
                                                      checks: loaded.manifest.checks.count))
                } catch {
                    let sha = try? FileChecksum.sha256(of: dir.appendingPathComponent("model.onnx"))
                    results.append(VerificationResult(name: n, version: v, failure: error.description, sha256: sha, checks: 0))
                }
            }
        }
        return results
    }
}
