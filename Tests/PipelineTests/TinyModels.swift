import Engine
import Foundation
import Imaging
import Models
import Tensor
import TestSupport

/// The generated models of `Tests/Fixtures/tiny-models` and their references in `tiny-reference`
/// (`Scripts/make_tiny_models.py`).
enum TinyModels {
    static let root = Fixtures.url("tiny-models")

    /// Version 1 of `name`, verified as the repository does (checksum, signature, canary).
    static func load(_ name: String) throws -> LoadedModel {
        try ModelRepository.verifyVersion(at: root.appendingPathComponent("\(name)/1"), name: name, version: 1,
                                          options: CompileOptions(threads: 1))
    }

    static func reference(_ file: String) throws -> Tensor { try Tensor.fixture("tiny-reference/\(file)") }

    /// `tiny-reference/index.json`
    static func index() throws -> [String: Any] {
        let data = try Fixtures.data("tiny-reference/index.json")
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// An 8-bit gray PNG of `rows × columns`, decoded by our decoder (what a file on disk would give).
    static func grayImage(rows: Int, columns: Int, pixel: (Int, Int) -> UInt8) throws -> DecodedImage {
        var bytes = [UInt8](repeating: 0, count: rows * columns)
        for y in 0..<rows { for x in 0..<columns { bytes[y * columns + x] = pixel(y, x) } }
        return try Imaging.decode(PNGEncoder.encode(width: columns, height: rows, channels: 1, pixels: bytes))
    }
}
