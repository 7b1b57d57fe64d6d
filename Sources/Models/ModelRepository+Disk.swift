import Foundation

extension ModelRepository {
    /// Folder names are model names: letters, digits, `-`, `_`, `.`, not starting with `.`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.count <= 128
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) }
    }

    static func subfolders(of url: URL) -> [String] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: url.path) else { return [] }
        return names.filter { n in
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: url.appendingPathComponent(n).path, isDirectory: &isDir) && isDir.boolValue
        }
    }

    /// Folders named by a positive integer (temporary `.incoming-*` folders are skipped).
    static func versionFolders(in folder: URL) -> [Int] {
        subfolders(of: folder).compactMap { n in
            guard n.allSatisfy(\.isASCII), n.allSatisfy(\.isNumber), let v = Int(n), v > 0, String(v) == n else { return nil }
            return v
        }
    }

    /// Path, size and modification time of every file in a version folder: a change re-verifies it.
    static func fingerprint(of dir: URL) -> [String] {
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: dir.path) else { return [] }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            guard let a = try? fm.attributesOfItem(atPath: dir.appendingPathComponent(rel).path),
                  (a[.type] as? FileAttributeType) == .typeRegular else { continue }
            let size = (a[.size] as? NSNumber)?.int64Value ?? -1
            let mtime = (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            out.append("\(rel)|\(size)|\(mtime)")
        }
        return out.sorted()
    }

    /// The version number in `<folder>/ACTIVE`, if the file exists and holds one.
    static func readPin(_ folder: URL) -> Int? {
        guard let text = try? String(contentsOf: folder.appendingPathComponent("ACTIVE"), encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
