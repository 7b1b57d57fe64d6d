/// A binary floating-point format narrower than float32 (IEEE half, bfloat16, the ONNX 8-bit and 4-bit
/// floats), described by its field widths, exponent bias and how it spends the top codes. Values are held as
/// codes (the format's bit pattern in the low bits of a `UInt16`).
///
/// Conversions round to nearest, ties to even, as ml_dtypes does (the library the ONNX reference and its
/// backend tests use); `encode` with `saturate` clamps overflow and infinities to the largest finite value,
/// as ONNX `Cast` does by default.
public struct MiniFloat: Sendable, Equatable {
    /// What the codes with the largest exponent mean.
    public enum Specials: Sendable, Equatable {
        /// IEEE 754: exponent all ones is ±infinity (mantissa 0) or NaN.
        case ieee
        /// "Finite, NaN": no infinities; only exponent and mantissa all ones is NaN (E4M3FN).
        case fn
        /// "Finite, unsigned zero": no infinities and no −0; the code of −0 (sign bit alone) is the only NaN.
        case fnuz
        /// No infinities and no NaN (E2M1); ml_dtypes maps NaN to the code of −0.
        case finiteOnly
    }

    public let exponentBits: Int
    public let mantissaBits: Int
    public let bias: Int
    public let specials: Specials

    public static let float16 = MiniFloat(exponentBits: 5, mantissaBits: 10, bias: 15, specials: .ieee)
    public static let bfloat16 = MiniFloat(exponentBits: 8, mantissaBits: 7, bias: 127, specials: .ieee)
    public static let float8e4m3fn = MiniFloat(exponentBits: 4, mantissaBits: 3, bias: 7, specials: .fn)
    public static let float8e4m3fnuz = MiniFloat(exponentBits: 4, mantissaBits: 3, bias: 8, specials: .fnuz)
    public static let float8e5m2 = MiniFloat(exponentBits: 5, mantissaBits: 2, bias: 15, specials: .ieee)
    public static let float8e5m2fnuz = MiniFloat(exponentBits: 5, mantissaBits: 2, bias: 16, specials: .fnuz)
    public static let float4e2m1 = MiniFloat(exponentBits: 2, mantissaBits: 1, bias: 1, specials: .finiteOnly)

    var signBit: Int { 1 << (exponentBits + mantissaBits) }
    var exponentMask: Int { (1 << exponentBits) - 1 }
    var mantissaMask: Int { (1 << mantissaBits) - 1 }
    /// The exponent of the smallest normal value.
    var minExponent: Int { 1 - bias }

    /// The code of the largest finite value.
    var maxFiniteCode: Int {
        switch specials {
        case .ieee: return (exponentMask - 1) << mantissaBits | mantissaMask
        case .fn: return exponentMask << mantissaBits | (mantissaMask - 1)
        case .fnuz, .finiteOnly: return exponentMask << mantissaBits | mantissaMask
        }
    }

    func nanCode(negative: Bool) -> Int {
        switch specials {
        case .ieee: return exponentMask << mantissaBits | 1 << (mantissaBits - 1) | (negative ? signBit : 0)
        case .fn: return exponentMask << mantissaBits | mantissaMask | (negative ? signBit : 0)
        case .fnuz, .finiteOnly: return signBit
        }
    }

    /// The code of the value past the largest finite one, without saturation: ±infinity, NaN, or (E2M1) the
    /// largest finite value.
    func overflowCode(negative: Bool) -> Int {
        switch specials {
        case .ieee: return exponentMask << mantissaBits | (negative ? signBit : 0)
        case .fn, .fnuz: return nanCode(negative: negative)
        case .finiteOnly: return maxFiniteCode | (negative ? signBit : 0)
        }
    }

    /// `x` rounded to the nearest code (ties to even). Overflow and infinities become the largest finite
    /// value when `saturate`, else what the format has for them (`overflowCode`).
    public func encode(_ x: Double, saturate: Bool = true) -> UInt16 {
        let negative = x.sign == .minus
        if x.isNaN { return UInt16(nanCode(negative: negative)) }
        let a = x.magnitude
        var code: Int
        if a.isInfinite {
            code = Int.max
        } else {
            // Quantum of the binade of `a` (the subnormal one below the smallest normal): a / q is exact, so
            // one rounding; codes are contiguous across binades, so a carry into the next binade is just +1.
            let e = a == 0 ? minExponent : max(Int(a.exponent), minExponent)
            let q = Double(sign: .plus, exponent: e - mantissaBits, significand: 1)
            let n = Int((a / q).rounded(.toNearestOrEven))
            code = (e - minExponent) << mantissaBits + n
        }
        if code > maxFiniteCode {
            return UInt16(saturate ? maxFiniteCode | (negative ? signBit : 0) : overflowCode(negative: negative))
        }
        if code == 0 && specials == .fnuz { return 0 }
        return UInt16(code | (negative ? signBit : 0))
    }

    /// The value of `code` (exact in Float and Double for every format here).
    public func decode(_ code: UInt16) -> Double {
        let c = Int(code)
        let negative = c & signBit != 0
        let exponent = (c >> mantissaBits) & exponentMask, mantissa = c & mantissaMask
        switch specials {
        // NaN keeps its sign bit (the FNUZ NaN is the code of −0, so it reads as −NaN), as in ml_dtypes.
        case .ieee where exponent == exponentMask:
            return mantissa == 0 ? (negative ? -.infinity : .infinity) : (negative ? -.nan : .nan)
        case .fn where exponent == exponentMask && mantissa == mantissaMask: return negative ? -.nan : .nan
        case .fnuz where c == signBit: return -.nan
        default: break
        }
        let magnitude = exponent == 0
            ? Double(sign: .plus, exponent: minExponent - mantissaBits, significand: Double(mantissa))
            : Double(sign: .plus, exponent: exponent - bias - mantissaBits, significand: Double(mantissa | 1 << mantissaBits))
        return negative ? -magnitude : magnitude
    }
}

/// ONNX FLOAT8E8M0: an unsigned power of two, 2^(code − 127); code 0xFF is NaN; no zero.
public enum E8M0 {
    /// How a value between two powers of two is rounded (the `round_mode` attribute of `Cast`).
    public enum Rounding: String, Sendable, CaseIterable { case up, down, nearest }

    /// The code of `x` (its sign is dropped), as `onnx.numpy_helper.to_float8e8m0` computes it from the
    /// float32 bits: the exponent field, incremented when rounding up; NaN and infinities are 0xFF; with
    /// `saturate` the top finite code 0xFE never rounds up into NaN.
    public static func encode(_ x: Float, saturate: Bool = true, rounding: Rounding = .up) -> UInt8 {
        let bits = x.bitPattern
        let exponent = (bits >> 23) & 0xFF
        if exponent == 0xFF { return 0xFF }
        var up: Bool
        switch rounding {
        case .down: up = false
        case .up: up = bits & 0x7F_FFFF != 0
        case .nearest:
            let guardBit = bits & 0x40_0000 != 0, round = bits & 0x20_0000 != 0, sticky = bits & 0x1F_FFFF != 0
            up = guardBit && (round || sticky || exponent > 0)
        }
        if saturate && exponent == 0xFE { up = false }
        return UInt8(truncatingIfNeeded: exponent + (up ? 1 : 0))
    }

    public static func decode(_ code: UInt8) -> Double {
        code == 0xFF ? .nan : Double(sign: .plus, exponent: Int(code) - 127, significand: 1)
    }
}
