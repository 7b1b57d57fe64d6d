internal import Kernels

/// The engine is the single owner of threads: it tells OpenBLAS how many to use before each run and runs
/// its own work on the calling thread, so the two never compete for the 2 cores.
enum ThreadOwner {
    static func begin(_ threads: Int) { GEMM.setThreads(threads) }
}
