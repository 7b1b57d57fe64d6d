import HTTPTypes
import Hummingbird

extension Request {
    static let forwardedHost = HTTPField.Name("X-Forwarded-Host")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!

    /// `scheme://host[:port]` as the client addressed this server, for absolute URLs in answers (the
    /// RetrieveURL of a STOW-RS answer): the first `X-Forwarded-Host` when a proxy sent one, else `Host`;
    /// `X-Forwarded-Proto` `https` or `http`, else `http`. Nil when that host is not a plain `host[:port]`
    /// (userinfo, path, spaces, …), so callers fall back to a relative path rather than echo whatever a
    /// client sent into a URL.
    var absoluteBase: String? {
        let forwarded = headers[Self.forwardedHost].map { firstListItem($0) }
        guard let host = forwarded ?? head.authority, Self.isHostPort(host) else { return nil }
        let proto = headers[Self.forwardedProto].map { firstListItem($0).lowercased() }
        let scheme = proto == "https" ? "https" : "http"
        return "\(scheme)://\(host)"
    }

    /// `"a, b"` → `"a"` (a proxy chain lists the client-facing value first).
    private func firstListItem(_ value: String) -> String {
        String(value.split(separator: ",", omittingEmptySubsequences: false).first ?? "").trimmingWhitespace()
    }

    /// A DNS name or IPv4 address (letters, digits, `.`, `-`) or a bracketed IPv6 literal, with an optional
    /// decimal port 0...65535; at most 255 characters.
    static func isHostPort(_ value: String) -> Bool {
        guard !value.isEmpty, value.utf8.count <= 255 else { return false }
        var host = Substring(value)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let literal = host[host.index(after: host.startIndex)..<close]
            guard !literal.isEmpty, literal.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            let rest = host[host.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return false }
                port = rest.dropFirst()
            }
            host = "x"
        } else if let colon = host.firstIndex(of: ":") {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }),
              !host.hasPrefix("-"), !host.hasPrefix(".")
        else { return false }
        if let port {
            guard !port.isEmpty, port.count <= 5, port.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let number = Int(port), number <= 65535
            else { return false }
        }
        return true
    }
}
