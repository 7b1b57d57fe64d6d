import Kernels
import Tensor

/// MaxPool / AveragePool (1-D and 2-D; pads, strides, dilations, ceil_mode, count_include_pad)
/// and GlobalAveragePool / GlobalMaxPool. X [N, C, H, W] -> Y [N, C, OH, OW]
struct PoolOp: ImageWise {
    enum Kind { case max, average, globalMax, globalAverage }
    let ctx: NodeContext
    let node: Node
    let kind: Kind
    let kernel: [Int]
    let countIncludePad: Bool

    init(_ n: Node, _ opset: Int, _ kind: Kind) throws(EngineError) {
        ctx = n.context
        node = n
        self.kind = kind
        if kind == .max || kind == .average {
            guard let k = try n.ints("kernel_shape"), !k.isEmpty, k.allSatisfy({ $0 > 0 }) else {
                throw n.context.attribute("kernel_shape", "required, positive")
            }
            kernel = k
        } else {
            kernel = []
        }
        countIncludePad = (try n.int("count_include_pad", default: 0) ?? 0) != 0
        if try n.int("storage_order", default: 0) != 0 { throw ctx.attribute("storage_order", "only 0 (row major) is supported") }
    }

    private func window(_ x: [Int]) throws(EngineError) -> (Window, [Int]) {
        var win = try Window(node, kernel: kernel)
        let out = try win.resolve(Array(x.dropFirst(2)), ctx)
        return (win, out)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws(EngineError) -> [TensorType] {
        let x = try ctx.required(inputs, 0)
        // MaxPool-12 also takes int8/uint8 (pooled through float32, exact for them).
        let types: [DType] = kind == .max ? [.float32, .int8, .uint8] : [.float32]
        guard types.contains(x.dtype), x.shape.count >= 3 else {
            throw ctx.input(0, "expected \(types.map(\.rawValue).joined(separator: " or ")) [N, C, ...], got \(x)")
        }
        if kind == .globalMax || kind == .globalAverage {
            return [TensorType(.float32, Array(x.shape.prefix(2)) + [Int](repeating: 1, count: x.shape.count - 2))]
        }
        guard x.shape.count - 2 == kernel.count else {
            throw ctx.attribute("kernel_shape", "\(kernel) does not match input \(x.shape)")
        }
        return [TensorType(x.dtype, Array(x.shape.prefix(2)) + (try window(x.shape)).1)]
    }

    func run(_ inputs: [Tensor?]) throws(EngineError) -> [Tensor] { try run(inputs, .serial) }
    var writesIntoArena: Bool { true }

    func run(_ inputs: [Tensor?], _ rc: RunContext) throws(EngineError) -> [Tensor] {
        let threads = rc.workers
        let xt = try ctx.required(inputs, 0)
        if xt.dtype != .float32 {
            let y = try run([try makeFloat(xt.shape, xt.floats(), ctx)], .serial)[0]
            return [try convertedTensor(y.shape, y.doubles(), to: xt.dtype, ctx)]
        }
        let planes = xt.shape[0] * xt.shape[1]
        if kind == .globalMax || kind == .globalAverage {
            let x = xt.floats()
            let size = xt.shape.dropFirst(2).product
            var y = [Float](repeating: 0, count: planes)
            for p in 0..<planes {
                let s = x[(p * size)..<((p + 1) * size)]
                y[p] = kind == .globalMax ? (s.max() ?? 0) : s.reduce(0, +) / Float(size)
            }
            return [try makeFloat(Array(xt.shape.prefix(2)) + [Int](repeating: 1, count: xt.shape.count - 2), y, ctx)]
        }
        let (win, out) = try window(xt.shape)
        if kernel.count > 2 { return [try runND(xt, win, out, rc)] }
        let g = win.geometry(Array(xt.shape.dropFirst(2)), out)
        var yt = try rc.output(0, .float32, Array(xt.shape.prefix(2)) + out, ctx)  // Pool2D writes every element
        let k: Pool2D.Kind = kind == .max ? .max : .average(countIncludePad: countIncludePad)
        xt.withFloats { x in
            yt.withMutableFloats { y in
                Pool2D.run(k, x: x, y: y, planes: planes, g, padBottom: padBottom(win, 0), padRight: padBottom(win, 1),
                           threads: threads)
            }
        }
        return [yt]
    }

    /// 3-D and higher: `Pool2D` over the last two spatial axes of every leading slice, then one `PoolAxis`
    /// pass per leading spatial axis, innermost first.
    private func runND(_ xt: Tensor, _ win: Window, _ out: [Int], _ rc: RunContext) throws(EngineError) -> Tensor {
        let spatial = Array(xt.shape.dropFirst(2)), s = spatial.count, planes = xt.shape[0] * xt.shape[1]
        let k: Pool2D.Kind = kind == .max ? .max : .average(countIncludePad: countIncludePad)
        let (h, w) = (s - 2, s - 1)
        let g = ConvGeometry(inH: spatial[h], inW: spatial[w], kH: win.kernel[h], kW: win.kernel[w], strideH: win.strides[h],
                             strideW: win.strides[w], dilH: win.dilations[h], dilW: win.dilations[w], padTop: win.pads[h],
                             padLeft: win.pads[w], outH: out[h], outW: out[w])
        var shape = Array(spatial.prefix(s - 2)) + [out[h], out[w]]
        let slices = planes * spatial.prefix(s - 2).product
        var current = [Float](repeating: 0, count: slices * out[h] * out[w])
        xt.withFloats { x in
            current.withUnsafeMutableBufferPointer { y in
                Pool2D.run(k, x: x, y: y.baseAddress!, planes: slices, g, padBottom: win.pads[h + s], padRight: win.pads[w + s],
                           threads: rc.workers)
            }
        }
        var yt = try rc.output(0, .float32, Array(xt.shape.prefix(2)) + out, ctx)
        for a in stride(from: s - 3, through: 0, by: -1) {
            let outer = planes * shape.prefix(a).product, inner = shape.dropFirst(a + 1).product
            let axis = PoolAxis.Window(kernel: win.kernel[a], stride: win.strides[a], dilation: win.dilations[a],
                                       padBegin: win.pads[a], padEnd: win.pads[a + s])
            let last = a == 0
            var next = last ? [] : [Float](repeating: 0, count: outer * out[a] * inner)
            current.withUnsafeBufferPointer { x in
                let run = { (y: UnsafeMutablePointer<Float>) in
                    PoolAxis.run(k, x: x.baseAddress!, y: y, outer: outer, inLen: shape[a], inner: inner, outLen: out[a], axis,
                                 threads: rc.workers)
                }
                if last { yt.withMutableFloats(run) } else { next.withUnsafeMutableBufferPointer { run($0.baseAddress!) } }
            }
            shape[a] = out[a]
            if !last { current = next }
        }
        return yt
    }

    private func padBottom(_ win: Window, _ axis: Int) -> Int {
        let r = win.kernel.count
        if r == 1 { return axis == 0 ? 0 : win.pads[1] }
        return win.pads[axis + r]
    }
}
