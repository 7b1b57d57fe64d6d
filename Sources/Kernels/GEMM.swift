internal import COpenBLAS

/// Row-major single-precision GEMM through OpenBLAS: C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C.
public enum GEMM {
    /// `lda`, `ldb`, `ldc` are row strides in elements (row-major).
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
                             c: UnsafeMutablePointer<Float>, ldc: Int)
    {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Sets OpenBLAS's thread count (process-wide; the engine sets 1 before each run and owns the threads).
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }
}
