/// The members a parser asked for, per object path. A reference type so that every cursor made from one
/// document writes to the same log; used only while one manifest is parsed, on one thread.
final class KeyLog {
    private(set) var known: [String: Set<String>] = [:]

    func read(_ key: String, in path: String) { known[path, default: []].insert(key) }
}

extension JSONCursor {
    /// A cursor on the root of a document, with a fresh key log.
    static func root(_ value: JSONValue, file: String) -> JSONCursor {
        JSONCursor(value: value, path: "", file: file, log: KeyLog())
    }

    /// Refuses the first member (sorted by path) that no parser asked for, so that a misspelt optional
    /// field (`preprocessing.windw`) is an error rather than a setting silently ignored. Members whose key
    /// starts with `x-` are free for notes and tools (as in OpenAPI) and never refused. Call after parsing.
    func rejectUnknownKeys() throws(ModelsError) {
        switch value {
        case .object(let o):
            let known = log.known[path] ?? []
            for key in o.keys.sorted() where !key.hasPrefix("x-") {
                let member = cursor(o[key]!, path: child(key))
                guard known.contains(key) else {
                    let hint = Self.closest(to: key, in: known).map { "; did you mean '\($0)'?" } ?? ""
                    throw member.fail("unknown field\(hint) (misspelt, or not supported by this version of medinfer)")
                }
                try member.rejectUnknownKeys()
            }
        case .array(let a):
            for (i, v) in a.enumerated() { try cursor(v, path: "\(path)[\(i)]").rejectUnknownKeys() }
        default:
            return
        }
    }

    /// The known key at edit distance at most 2 from `key` (case-insensitive), the nearest first.
    static func closest(to key: String, in known: Set<String>) -> String? {
        let best = known.map { ($0, editDistance(key.lowercased(), $0.lowercased())) }
            .filter { $0.1 <= 2 }
            .min { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        return best?.0
    }

    /// Levenshtein distance.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1]
            for (j, cb) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
