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
struct JSONCursor {
    let value: JSONValue
    let path: String
    let file: String

    func fail(_ reason: String) -> ModelsError { .manifest(file: file, path: path.isEmpty ? "(root)" : path, reason: reason) }
    func expected(_ what: String) -> ModelsError { fail("expected \(what), got \(value.kind)") }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func object() throws(ModelsError) -> [String: JSONValue] {
        guard case .object(let o) = value else { throw expected("an object") }
        return o
    }

    /// The member `key`; nil when absent or null.
    func optional(_ key: String) throws(ModelsError) -> JSONCursor? {
        let o = try object()
        guard let v = o[key], v != .null else { return nil }
        return JSONCursor(value: v, path: child(key), file: file)
    }

    func required(_ key: String) throws(ModelsError) -> JSONCursor {
        guard let c = try optional(key) else {
            throw JSONCursor(value: value, path: child(key), file: file).fail("missing (required)")
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

    func int() throws(ModelsError) -> Int {
        guard case .number(let d) = value, d == d.rounded(), abs(d) < 1e15 else { throw expected("an integer") }
        return Int(d)
    }

    func array() throws(ModelsError) -> [JSONCursor] {
        guard case .array(let a) = value else { throw expected("an array") }
        return a.enumerated().map { JSONCursor(value: $1, path: "\(path)[\($0)]", file: file) }
    }

    func strings() throws(ModelsError) -> [String] {
        guard case .array(let a) = value else { throw expected("an array of strings") }
        var out: [String] = []
        for (i, v) in a.enumerated() {
            guard case .string(let s) = v else {
                throw JSONCursor(value: v, path: "\(path)[\(i)]", file: file).expected("a string")
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
                throw JSONCursor(value: v, path: "\(path)[\(i)]", file: file).expected("a number")
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
