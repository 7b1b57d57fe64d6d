import Foundation

/// What the CPU can run, read once. The kernels compiled for AVX2 + FMA (`KernelsAVX2`) are used only
/// where this says so; elsewhere convolutions fall back to OpenBLAS, which picks its own kernels at run time.
public enum CPUFeatures {
    /// x86-64 with AVX2 and FMA3 (Intel Haswell, AMD Zen and later), as the kernel reports in /proc/cpuinfo.
    /// `MEDINFER_DISABLE_AVX2=1` turns the engine's own kernels off (everything on OpenBLAS), to compare.
    public static let avx2FMA: Bool = {
        if ProcessInfo.processInfo.environment["MEDINFER_DISABLE_AVX2"] == "1" { return false }
        #if arch(x86_64) && os(Linux)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return false }
        let set = Set(flags.split(separator: " ").map(String.init))
        return set.contains("avx2") && set.contains("fma")
        #else
        return false
        #endif
    }()
}
