extension Tensor {
    /// The values of a tensor of a storage type (float16, bfloat16, the 8- and 4-bit floats, the 4- and 2-bit
    /// integers) as Double, exactly.
    func storageTypeDoubles() -> [Double] {
        let n = count
        let p = storage.bytes
        if let format = dtype.miniFloat {
            if dtype.byteSize == 2 { return (0..<n).map { format.decode(p.load(fromByteOffset: $0 * 2, as: UInt16.self)) } }
            return (0..<n).map { format.decode(UInt16(p.load(fromByteOffset: $0, as: UInt8.self))) }
        }
        switch dtype {
        case .float8e8m0: return (0..<n).map { E8M0.decode(p.load(fromByteOffset: $0, as: UInt8.self)) }
        case .int4, .int2: return (0..<n).map { Double(p.load(fromByteOffset: $0, as: Int8.self)) }
        case .uint4, .uint2: return (0..<n).map { Double(p.load(fromByteOffset: $0, as: UInt8.self)) }
        default: preconditionFailure("storageTypeDoubles on \(dtype.rawValue)")
        }
    }

    /// A tensor of `dtype` holding `values` rounded as ONNX `Cast` rounds: to nearest even for the float
    /// types (E8M0 by `rounding`); overflow of the 8-bit floats is clamped to the largest finite value when
    /// `saturate`, else becomes infinity or NaN as the format has them; float16 and bfloat16 overflow to
    /// infinity as IEEE says, E2M1 (which has neither) clamps; truncated toward zero and wrapped to the width for the integers
    /// (NaN → 0), `!= 0` for bool.
    public init(converting values: [Double], shape: [Int], to dtype: DType, saturate: Bool = true,
                rounding: E8M0.Rounding = .up) throws(TensorError) {
        switch dtype {
        case .float32: try self.init(shape: shape, values: values.map { Float($0) })
        case .float64: try self.init(shape: shape, values: values)
        case .bool: try self.init(shape: shape, values: values.map { $0 != 0 })
        case .float8e8m0:
            try self.init(storing: values.map { E8M0.encode(Float($0), saturate: saturate, rounding: rounding) }, shape: shape, as: dtype)
        default:
            if let format = dtype.miniFloat {
                let clamp = saturate && dtype.byteSize == 1  // ONNX: `saturate` is for the 8-bit floats only
                let codes = values.map { format.encode($0, saturate: clamp) }
                if dtype.byteSize == 2 {
                    try self.init(storing: codes, shape: shape, as: dtype)
                } else {
                    try self.init(storing: codes.map { UInt8(truncatingIfNeeded: $0) }, shape: shape, as: dtype)
                }
            } else {
                try self.init(wrapping: values.map(Int64.init(saturating:)), shape: shape, to: dtype)
            }
        }
    }

    /// A tensor of the integer (or bool) type `dtype` holding `values` wrapped to its width, as a C cast does
    /// (int64 → int32 keeps the low 32 bits, as ONNX Runtime does; int4 keeps the low 4, sign-extended).
    /// A float `dtype` takes the nearest value.
    public init(wrapping values: [Int64], shape: [Int], to dtype: DType) throws(TensorError) {
        func narrow(_ bits: Int, signed: Bool) -> [UInt8] {
            let shift = Int64(64 - bits)
            return values.map { v in
                signed ? UInt8(bitPattern: Int8(truncatingIfNeeded: (v << shift) >> shift)) : UInt8(truncatingIfNeeded: v & ((1 << bits) - 1))
            }
        }
        switch dtype {
        case .int64: try self.init(shape: shape, values: values)
        case .int32: try self.init(shape: shape, values: values.map { Int32(truncatingIfNeeded: $0) })
        case .uint32: try self.init(shape: shape, values: values.map { UInt32(truncatingIfNeeded: $0) })
        case .int16: try self.init(shape: shape, values: values.map { Int16(truncatingIfNeeded: $0) })
        case .uint16: try self.init(shape: shape, values: values.map { UInt16(truncatingIfNeeded: $0) })
        case .int8: try self.init(shape: shape, values: values.map { Int8(truncatingIfNeeded: $0) })
        case .uint8: try self.init(shape: shape, values: values.map { UInt8(truncatingIfNeeded: $0) })
        case .uint64: try self.init(shape: shape, values: values.map { UInt64(bitPattern: $0) })
        case .int4: try self.init(storing: narrow(4, signed: true), shape: shape, as: dtype)
        case .uint4: try self.init(storing: narrow(4, signed: false), shape: shape, as: dtype)
        case .int2: try self.init(storing: narrow(2, signed: true), shape: shape, as: dtype)
        case .uint2: try self.init(storing: narrow(2, signed: false), shape: shape, as: dtype)
        default: try self.init(converting: values.map { Double($0) }, shape: shape, to: dtype)
        }
    }

    /// A tensor of a storage type from its codes (one byte, or two for float16/bfloat16, per element).
    init<T: FixedWidthInteger & TensorElement>(storing codes: [T], shape: [Int], as dtype: DType) throws(TensorError) {
        precondition(MemoryLayout<T>.size == dtype.byteSize)
        let t = try Tensor(shape: shape, values: codes)
        self.init(dtype: dtype, shape: shape, storage: t.storage)
    }
}
