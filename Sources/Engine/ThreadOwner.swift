internal import Kernels

/// The engine is the single owner of threads: OpenBLAS is kept to one thread and the engine splits work
/// (images, row tiles, channel chunks) over its own `Parallel` workers, so the two never compete for the cores.
enum ThreadOwner {
    static func begin(_ threads: Int) { GEMM.setThreads(1) }
}
