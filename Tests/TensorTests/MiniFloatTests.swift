import Foundation
import Tensor
import TestSupport
import Testing

/// The reduced-precision float formats against ml_dtypes 0.6.0 and onnx 1.22.0's `to_float8e8m0`
/// (`Tests/Fixtures/minifloat/minifloat.json`, written by `Scripts/make_minifloat_fixtures.py`): decoding of
/// the codes, and rounding of ties, overflow, subnormals, ±0, ±infinity, NaN and seeded random values.
@Suite(.onComputeThreads) struct MiniFloatTests {
    struct Reference: Decodable {
        struct Format: Decodable { var codes: [UInt16]; var decode: [UInt32]; var encode: [UInt16]; var encodeSaturating: [UInt16] }
        var inputs: [UInt32]
        var formats: [String: Format]
        var e8m0: [String: [UInt8]]
        var e8m0NoSaturate: [String: [UInt8]]
        var e8m0Decode: [UInt32]
    }

    static let reference: Reference? = try? JSONDecoder().decode(
        Reference.self, from: Data(contentsOf: Fixtures.url("minifloat/minifloat.json")))
    static let formats: [(String, MiniFloat)] = [
        ("float16", .float16), ("bfloat16", .bfloat16), ("float8e4m3fn", .float8e4m3fn), ("float8e4m3fnuz", .float8e4m3fnuz),
        ("float8e5m2", .float8e5m2), ("float8e5m2fnuz", .float8e5m2fnuz), ("float4e2m1", .float4e2m1),
    ]

    /// Same value, or both NaN with the same sign (ml_dtypes keeps NaN's sign; payloads are not compared).
    static func same(_ a: Float, _ b: Float) -> Bool {
        a.isNaN ? b.isNaN && a.sign == b.sign : a.bitPattern == b.bitPattern
    }

    @Test(arguments: formats.map(\.0))
    func decodingMatchesMLDtypes(_ name: String) throws {
        let ref = try #require(Self.reference?.formats[name])
        let format = try #require(Self.formats.first { $0.0 == name }?.1)
        #expect(ref.codes.count >= 16)
        for (code, bits) in zip(ref.codes, ref.decode) {
            let got = Float(format.decode(code)), want = Float(bitPattern: bits)
            #expect(Self.same(got, want), "\(name) code \(String(code, radix: 16)): \(got), expected \(want)")
        }
    }

    @Test(arguments: formats.map(\.0))
    func roundingMatchesMLDtypes(_ name: String) throws {
        let ref = try #require(Self.reference)
        let f = try #require(ref.formats[name])
        let format = try #require(Self.formats.first { $0.0 == name }?.1)
        for (i, bits) in ref.inputs.enumerated() {
            let x = Double(Float(bitPattern: bits))
            // A NaN's code is compared by value (ml_dtypes keeps the input's payload bits for 16-bit formats).
            func check(_ got: UInt16, _ want: UInt16, _ mode: String) {
                let ok = got == want || (format.decode(got).isNaN && format.decode(want).isNaN)
                #expect(ok, "\(name) \(mode) \(x): code \(String(got, radix: 16)), expected \(String(want, radix: 16))")
            }
            check(format.encode(x, saturate: false), f.encode[i], "plain")
            check(format.encode(x, saturate: true), f.encodeSaturating[i], "saturating")
        }
    }

    @Test func e8m0MatchesONNX() throws {
        let ref = try #require(Self.reference)
        for (i, bits) in ref.inputs.enumerated() {
            let x = Float(bitPattern: bits)
            for mode in E8M0.Rounding.allCases {
                #expect(E8M0.encode(x, saturate: true, rounding: mode) == ref.e8m0[mode.rawValue]?[i], "\(x) \(mode)")
                #expect(E8M0.encode(x, saturate: false, rounding: mode) == ref.e8m0NoSaturate[mode.rawValue]?[i], "\(x) \(mode)")
            }
        }
        for code in 0...255 {
            #expect(Self.same(Float(E8M0.decode(UInt8(code))), Float(bitPattern: ref.e8m0Decode[code])), "code \(code)")
        }
    }

    /// Through the tensor API: `Tensor(converting:)` rounds as Cast does (float16 overflows to infinity, the 8-bit
    /// floats saturate), and `doubles()` reads the codes back.
    @Test func tensorsConvertAndReadBack() throws {
        let t = try Tensor(converting: [1e6, 0.1, -2.5], shape: [3], to: .float16)
        #expect(t.doubles() == [.infinity, Double(Float16(0.1)), -2.5])
        let f8 = try Tensor(converting: [1e6, -1e6, 0.3], shape: [3], to: .float8e4m3fn)
        #expect(f8.doubles() == [448, -448, 0.3125])
        let i4 = try Tensor(converting: [-9, 7.9, 8], shape: [3], to: .int4)
        #expect(i4.int64s() == [7, 7, -8])  // truncated toward zero, then wrapped to 4 bits as ml_dtypes does
    }
}
