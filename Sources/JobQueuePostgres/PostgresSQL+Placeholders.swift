/// The queue's portable SQL uses `?` for parameters; PostgreSQL numbers them.
enum PostgresSQL {
    /// `?` → `$1`, `$2`, ... in order, leaving alone a `?` inside '...' string literals, "..." identifiers,
    /// `--` line comments and `/* */` block comments. Returns the text and the number of parameters.
    static func numberPlaceholders(_ sql: String) -> (sql: String, count: Int) {
        enum Context { case code, string, identifier, lineComment, blockComment }
        var context = Context.code
        var result = ""
        result.reserveCapacity(sql.utf8.count + 16)
        var count = 0
        var previous: Character?
        for c in sql {
            switch context {
            case .code:
                switch c {
                case "?": count += 1; result += "$\(count)"; previous = nil; continue
                case "'": context = .string
                case "\"": context = .identifier
                case "-" where previous == "-": context = .lineComment
                case "*" where previous == "/": context = .blockComment; result.append(c); previous = nil; continue  // "/*/" stays open
                default: break
                }
            case .string: if c == "'" { context = .code }  // '' (an escaped quote) leaves and re-enters
            case .identifier: if c == "\"" { context = .code }
            case .lineComment: if c == "\n" || c == "\r\n" { context = .code }
            case .blockComment: if c == "/" && previous == "*" { context = .code; result.append(c); previous = nil; continue }
            }
            result.append(c)
            previous = c
        }
        return (result, count)
    }
}
