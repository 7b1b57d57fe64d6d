/// Whole rows along the first axis: the images of a batch, the requests of a stacked batch. Rows are
/// contiguous in row-major order, so both are byte copies.
extension Tensor {
    /// Rows `from ..< from + count` of the first axis, with storage of their own: [count, rest of shape].
    public func rows(from: Int, count: Int) throws(TensorError) -> Tensor {
        precondition(!shape.isEmpty && from >= 0 && count >= 0 && from + count <= shape[0], "rows \(from)..<\(from + count) of \(shape)")
        var out = try Tensor(uninitialized: dtype, shape: [count] + shape.dropFirst())
        let rowBytes = shape[0] == 0 ? 0 : byteCount / shape[0]
        out.withUnsafeMutableBytes { destination in
            withUnsafeBytes { source in
                guard rowBytes * count > 0 else { return }
                destination.baseAddress!.copyMemory(from: source.baseAddress! + from * rowBytes, byteCount: rowBytes * count)
            }
        }
        return out
    }

    /// `parts` (at least one; the same dtype and the same shape but for the first axis) stacked along the
    /// first axis.
    public static func stacking(rows parts: [Tensor]) throws(TensorError) -> Tensor {
        let first = parts[0]
        var out = try Tensor(uninitialized: first.dtype, shape: [parts.reduce(0) { $0 + $1.shape[0] }] + first.shape.dropFirst())
        out.withUnsafeMutableBytes { destination in
            var offset = 0
            for part in parts {
                part.withUnsafeBytes { source in
                    guard let base = source.baseAddress, source.count > 0 else { return }
                    (destination.baseAddress! + offset).copyMemory(from: base, byteCount: source.count)
                    offset += source.count
                }
            }
        }
        return out
    }
}
