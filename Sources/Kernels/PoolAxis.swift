/// Max or average pooling along one axis: x [outer, inLen, inner] -> y [outer, outLen, inner]. With
/// `Pool2D` over the last two spatial axes it makes N-D pooling: both reductions are separable over axes
/// (a max of maxes; an average's divisor is the product of each axis's count of taps, valid or padded, so
/// the average of 2-D averages along the leading axis, divided by its own count, is the N-D average).
public enum PoolAxis {
    /// One axis's window: output o reads positions `o·stride − padBegin + k·dilation`, k < kernel.
    public struct Window: Sendable {
        public var kernel, stride, dilation, padBegin, padEnd: Int
        public init(kernel: Int, stride: Int, dilation: Int, padBegin: Int, padEnd: Int) {
            self.kernel = kernel; self.stride = stride; self.dilation = dilation
            self.padBegin = padBegin; self.padEnd = padEnd
        }
    }

    public static func run(_ kind: Pool2D.Kind, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, outer: Int,
                           inLen: Int, inner: Int, outLen: Int, _ w: Window, threads: Int) {
        guard outer > 0, inner > 0, outLen > 0 else { return }
        // Taps and divisors depend only on the output position.
        var taps: [[Int]] = [], divisors: [Float] = []
        for o in 0..<outLen {
            let start = o * w.stride - w.padBegin
            let positions = (0..<w.kernel).map { start + $0 * w.dilation }
            let valid = positions.filter { $0 >= 0 && $0 < inLen }
            taps.append(valid)
            if case .average(let includePad) = kind {
                let counted = includePad ? positions.filter { $0 >= -w.padBegin && $0 < inLen + w.padEnd }.count : valid.count
                divisors.append(Float(max(counted, 1)))
            }
        }
        Parallel.run(tasks: outer, threads: threads) { p, _ in
            let src = x + p * inLen * inner
            for o in 0..<outLen {
                let row = y + (p * outLen + o) * inner
                switch kind {
                case .max:
                    row.update(repeating: -.infinity, count: inner)
                    for t in taps[o] {
                        let line = src + t * inner
                        for i in 0..<inner { row[i] = max(row[i], line[i]) }
                    }
                case .average:
                    row.update(repeating: 0, count: inner)
                    for t in taps[o] {
                        let line = src + t * inner
                        for i in 0..<inner { row[i] += line[i] }
                    }
                    let scale = 1 / divisors[o]
                    for i in 0..<inner { row[i] *= scale }
                }
            }
        }
    }
}
