import Foundation
@testable import Server
import Testing

/// The streaming multipart parser gives the same parts however the body is split into chunks.
@Suite struct MultipartParserTests {
    static let body = Array("""
        preamble\r
        --bnd\r
        Content-Disposition: form-data; name="f"; filename="a.png"\r
        Content-Type: image/png\r
        \r
        first\r\n--bn not a boundary\r
        --bnd\r
        Content-Disposition: form-data; name="g"\r
        \r
        second\r
        --bnd--\r
        epilogue
        """.utf8)

    static func parse(_ chunks: [ArraySlice<UInt8>]) throws -> [(headers: [String: String], data: [UInt8])] {
        var parser = MultipartParser(boundary: "bnd")
        var parts: [(headers: [String: String], data: [UInt8])] = []
        for chunk in chunks {
            for event in try parser.feed(chunk) {
                switch event {
                case .begin(let headers): parts.append((headers, []))
                case .data(let d): parts[parts.count - 1].data += d
                case .end: break
                }
            }
        }
        #expect(parser.isComplete)
        return parts
    }

    @Test func everySplitGivesTheSameParts() throws {
        for cut in 0...Self.body.count {
            let parts = try Self.parse([Self.body[..<cut], Self.body[cut...]])
            #expect(parts.count == 2)
            #expect(String(decoding: parts[0].data, as: UTF8.self) == "first\r\n--bn not a boundary")
            #expect(String(decoding: parts[1].data, as: UTF8.self) == "second")
            #expect(MultipartParser.parameter("filename", in: parts[0].headers["content-disposition"] ?? "") == "a.png")
        }
        let bytewise = try Self.parse(Self.body.indices.map { Self.body[$0...$0] })
        #expect(bytewise.map(\.data.count) == [26, 6])
    }

    @Test func brokenBodiesAreRefused() {
        var parser = MultipartParser(boundary: "bnd")
        #expect(throws: MultipartParser.Malformed.self) { _ = try parser.feed(Array("--bndXY".utf8)) }
        var headers = MultipartParser(boundary: "bnd")
        #expect(throws: MultipartParser.Malformed.self) {
            _ = try headers.feed(Array("--bnd\r\nno colon here\r\n\r\n".utf8))
        }
    }
}
