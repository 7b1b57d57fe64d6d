/// Exactly which model version made (or is to make) a result: the one model reference every layer shares
/// (the queue's rows, a job's status, a report's provenance, the repository's loaded versions).
///
/// Encoded as `{"name": …, "version": "<n>", "sha256": …}`: the version is a string in JSON, as reports and
/// job documents have always written it; decoding also takes a JSON integer.
public struct ModelRef: Sendable, Hashable, Codable, CustomStringConvertible {
    public var name: String
    /// The repository's version number (`Models/<name>/<version>/`).
    public var version: Int
    /// SHA-256 (lowercase hex) of the version's `model.onnx`: a job runs only on these exact weights.
    public var sha256: String

    public init(name: String, version: Int, sha256: String) {
        self.name = name
        self.version = version
        self.sha256 = sha256
    }

    /// `name:version`.
    public var description: String { "\(name):\(version)" }

    enum CodingKeys: String, CodingKey {
        case name, version, sha256
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        sha256 = try c.decode(String.self, forKey: .sha256)
        if let number = try? c.decode(Int.self, forKey: .version) {
            version = number
        } else {
            let text = try c.decode(String.self, forKey: .version)
            guard let number = Int(text) else {
                throw DecodingError.dataCorruptedError(forKey: .version, in: c, debugDescription: "version '\(text)' is not an integer")
            }
            version = number
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(String(version), forKey: .version)
        try c.encode(sha256, forKey: .sha256)
    }
}
