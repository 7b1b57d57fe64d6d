import Crypto
public import Foundation

/// SHA-256 of files, read in 1 MiB chunks.
public enum FileChecksum {
    /// Lowercase hex SHA-256 of the file at `url`.
    public static func sha256(of url: URL) throws(ModelsError) -> String {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw .io(path: url.path, reason: (error as NSError).localizedDescription)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        } catch {
            throw .io(path: url.path, reason: (error as NSError).localizedDescription)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
