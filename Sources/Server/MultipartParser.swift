/// An incremental `multipart/form-data` (RFC 7578) parser: bytes in as they arrive, events out, never the
/// whole body in memory (it keeps at most one delimiter's length of a part's bytes, plus one header block).
struct MultipartParser {
    enum Event: Equatable {
        /// A part starts; header names are lowercased.
        case begin(headers: [String: String])
        case data(ArraySlice<UInt8>)
        case end
    }

    enum State { case preamble, headers, body, afterDelimiter, done }

    /// Why a body is not valid multipart.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    static let maxHeaderBytes = 16 << 10
    let delimiter: [UInt8]
    private(set) var state = State.preamble
    var pending: [UInt8] = Array("\r\n".utf8)  // so the first boundary matches like every other one

    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    var isComplete: Bool { state == .done }

    /// Consumes `bytes`, returning the events they complete.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws(Malformed) -> [Event] {
        pending.append(contentsOf: bytes)
        var events: [Event] = []
        var start = 0
        defer { pending.removeFirst(start) }
        loop: while true {
            let rest = pending[start...]
            switch state {
            case .preamble:
                guard let r = rest.firstRange(of: delimiter) else {
                    start = max(start, pending.count - delimiter.count + 1)
                    break loop
                }
                start = r.upperBound
                state = .afterDelimiter
            case .afterDelimiter:
                guard rest.count >= 2 else { break loop }
                let two = Array(rest.prefix(2))
                if two == Array("--".utf8) {
                    state = .done
                    start = pending.count
                } else if two == Array("\r\n".utf8) {
                    state = .headers
                    start += 2
                } else {
                    throw Malformed(description: "a multipart boundary is followed by neither CRLF nor '--'")
                }
            case .headers:
                guard let r = rest.firstRange(of: Array("\r\n\r\n".utf8)) else {
                    if rest.count > Self.maxHeaderBytes { throw Malformed(description: "a part's headers exceed 16 KiB") }
                    break loop
                }
                guard r.lowerBound - start <= Self.maxHeaderBytes else {
                    throw Malformed(description: "a part's headers exceed 16 KiB")
                }
                events.append(.begin(headers: try Self.headers(pending[start..<r.lowerBound])))
                start = r.upperBound
                state = .body
            case .body:
                if let r = rest.firstRange(of: delimiter) {
                    if r.lowerBound > start { events.append(.data(pending[start..<r.lowerBound])) }
                    events.append(.end)
                    start = r.upperBound
                    state = .afterDelimiter
                } else {
                    let keep = delimiter.count - 1
                    if rest.count > keep {
                        let cut = pending.count - keep
                        events.append(.data(pending[start..<cut]))
                        start = cut
                    }
                    break loop
                }
            case .done:
                start = pending.count  // the epilogue is ignored
                break loop
            }
        }
        // The events hold slices of `pending`; copy them before it shifts.
        return events.map { if case .data(let d) = $0 { return .data(ArraySlice(Array(d))) } else { return $0 } }
    }

    static func headers(_ block: ArraySlice<UInt8>) throws(Malformed) -> [String: String] {
        var result: [String: String] = [:]
        for line in String(decoding: block, as: UTF8.self).split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else {
                throw Malformed(description: "a part header line has no ':'")
            }
            result[line[..<colon].trimmingWhitespace().lowercased()] = line[line.index(after: colon)...].trimmingWhitespace()
        }
        return result
    }

    /// A parameter of a header value such as `form-data; name="file"; filename="a.png"` (quotes removed).
    static func parameter(_ name: String, in value: String) -> String? {
        for piece in value.split(separator: ";").dropFirst() {
            let kv = piece.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingWhitespace().lowercased() == name else { continue }
            var v = kv[1].trimmingWhitespace()
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
            return v
        }
        return nil
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
