import Foundation

/// A parsed JSON value that keeps `true`/`false` apart from numbers, so manifest errors can say what was found.
enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// "a number", "an array", ... for error messages.
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A JSON value with the path that reached it (`outputs[0].labels`), for errors that point at the problem.
/// Every member a parser asks for is written to `log`, shared by all cursors of one document, so that
/// afterwards the members nobody asked for can be refused as unknown (`JSONCursor+UnknownKeys.swift`).
struct JSONCursor {
    let value: JSONValue
    let path: String
    let file: String
    let log: KeyLog

    /// A cursor for another value of the same document (same file and key log).
    func cursor(_ value: JSONValue, path: String) -> JSONCursor {
        JSONCursor(value: value, path: path, file: file, log: log)
    }

    func fail(_ reason: String) -> ModelsError { .manifest(file: file, path: path.isEmpty ? "(root)" : path, reason: reason) }
    func expected(_ what: String) -> ModelsError { fail("expected \(what), got \(value.kind)") }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func object() throws(ModelsError) -> [String: JSONValue] {
        guard case .object(let o) = value else { throw expected("an object") }
        return o
    }

    /// The member `key`; nil when absent or null. Either way `key` is a known member of this object.
    func optional(_ key: String) throws(ModelsError) -> JSONCursor? {
        let o = try object()
        log.read(key, in: path)
        guard let v = o[key], v != .null else { return nil }
        return cursor(v, path: child(key))
    }

    /// Every member of an object whose keys are data (file names, tensor names), sorted by key; all are known.
    func entries() throws(ModelsError) -> [(key: String, value: JSONCursor)] {
        let o = try object()
        return o.keys.sorted().map { key in
            log.read(key, in: path)
            return (key, cursor(o[key]!, path: child(key)))
        }
    }

    func required(_ key: String) throws(ModelsError) -> JSONCursor {
        guard let c = try optional(key) else {
            // A misspelt required field is named here: it would be refused as unknown, but only later.
            let near = Self.closest(to: key, in: Set(try object().keys).subtracting([key]))
            throw cursor(value, path: child(key)).fail("missing (required\(near.map { "; is '\($0)' misspelt?" } ?? ""))")
        }
        return c
    }

    func string() throws(ModelsError) -> String {
        guard case .string(let s) = value else { throw expected("a string") }
        return s
    }

    func nonEmptyString() throws(ModelsError) -> String {
        let s = try string()
        guard !s.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("must not be empty") }
        return s
    }

    func number() throws(ModelsError) -> Double {
        guard case .number(let d) = value else { throw expected("a number") }
        return d
    }

    func float() throws(ModelsError) -> Float { Float(try number()) }

    func bool() throws(ModelsError) -> Bool {
        guard case .bool(let b) = value else { throw expected("true or false") }
        return b
    }

    func int() throws(ModelsError) -> Int {
        guard case .number(let d) = value, d == d.rounded(), abs(d) < 1e15 else { throw expected("an integer") }
        return Int(d)
    }

    func array() throws(ModelsError) -> [JSONCursor] {
        guard case .array(let a) = value else { throw expected("an array") }
        return a.enumerated().map { cursor($1, path: "\(path)[\($0)]") }
    }

    func strings() throws(ModelsError) -> [String] {
        guard case .array(let a) = value else { throw expected("an array of strings") }
        var out: [String] = []
        for (i, v) in a.enumerated() {
            guard case .string(let s) = v else {
                throw cursor(v, path: "\(path)[\(i)]").expected("a string")
            }
            out.append(s)
        }
        return out
    }

    func floats() throws(ModelsError) -> [Float] {
        guard case .array(let a) = value else { throw expected("an array of numbers") }
        var out: [Float] = []
        for (i, v) in a.enumerated() {
            guard case .number(let d) = v else {
                throw cursor(v, path: "\(path)[\(i)]").expected("a number")
            }
            out.append(Float(d))
        }
        return out
    }

    /// One of `E`'s raw values.
    func oneOf<E: RawRepresentable & CaseIterable>(_ type: E.Type) throws(ModelsError) -> E where E.RawValue == String {
        let s = try string()
        guard let e = E(rawValue: s) else {
            throw fail("'\(s)' is not one of \(E.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))")
        }
        return e
    }
}
