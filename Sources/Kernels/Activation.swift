import Foundation

/// Activation fused into a conv or GEMM epilogue.
public enum Activation: Sendable, Equatable {
    case none, relu, clip(Float, Float), leakyRelu(Float), hardSwish, sigmoid

    @inline(__always) public func apply(_ x: Float) -> Float {
        switch self {
        case .none: return x
        case .relu: return max(x, 0)
        case .clip(let lo, let hi): return min(max(x, lo), hi)
        case .leakyRelu(let a): return x >= 0 ? x : a * x
        case .hardSwish: return x * max(0, min(1, x / 6 + 0.5))
        case .sigmoid: return 1 / (1 + exp(-x))
        }
    }
}

/// The conv epilogue: y = act(y + bias[row] + residual) over a block of `rows` × `cols` (row strides `ldy`,
/// `ldr`), applied to each tile right after its GEMM while it is still in cache.
public enum Epilogue {
    public static func apply(_ y: UnsafeMutablePointer<Float>, ldy: Int, rows: Int, cols: Int,
                             bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, ldr: Int, _ act: Activation)
    {
        for r in 0..<rows {
            let out = y + r * ldy, b = bias?[r] ?? 0
            let res = residual.map { $0 + r * ldr }
            // One loop per activation so each inner loop is branch-free and vectorises.
            switch (act, res) {
            case (.none, nil): if b != 0 { for i in 0..<cols { out[i] += b } }
            case (.none, let rp?): for i in 0..<cols { out[i] = out[i] + b + rp[i] }
            case (.relu, nil): for i in 0..<cols { out[i] = max(out[i] + b, 0) }
            case (.relu, let rp?): for i in 0..<cols { out[i] = max(out[i] + b + rp[i], 0) }
            case (.clip(let lo, let hi), nil): for i in 0..<cols { out[i] = min(max(out[i] + b, lo), hi) }
            default:
                if let rp = res {
                    for i in 0..<cols { out[i] = act.apply(out[i] + b + rp[i]) }
                } else {
                    for i in 0..<cols { out[i] = act.apply(out[i] + b) }
                }
            }
        }
    }
}

/// Per-channel affine map with a fused activation (inference BatchNormalization, alone or before ReLU):
/// y[n, c, i] = act(x[n, c, i] · mul[c] + add[c]) over `planes` = N·C planes of `size` elements.
public enum ChannelAffine {
    public static func run(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, planes: Int, channels: Int,
                           size: Int, mul: UnsafePointer<Float>, add: UnsafePointer<Float>, _ act: Activation,
                           threads: Int = 1)
    {
        func plane(_ p: Int) {
            let c = p % channels, m = mul[c], a = add[c]
            let xp = x + p * size, yp = y + p * size
            switch act {
            case .none: for i in 0..<size { yp[i] = xp[i] * m + a }
            case .relu: for i in 0..<size { yp[i] = max(xp[i] * m + a, 0) }
            default: for i in 0..<size { yp[i] = act.apply(xp[i] * m + a) }
            }
        }
        // Chunks of planes of at least ~64 K elements per task: below that a dispatch costs more than it saves.
        let perTask = max(1, 65536 / max(1, size))
        Parallel.run(tasks: (planes + perTask - 1) / perTask, threads: threads) { task, _ in
            for p in (task * perTask)..<min(planes, (task + 1) * perTask) { plane(p) }
        }
    }
}
