/// The slow, obviously correct twin of the GEMM kernels: C[m×n] = A[m×k] · B[k×n], row-major, summed in
/// Double so it is a reference for any summation order.
public enum NaiveGEMM {
    public static func run(m: Int, n: Int, k: Int, a: [Float], lda: Int, b: [Float], ldb: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(a[i * lda + p]) * Double(b[p * ldb + j]) }
                c[i * n + j] = s
            }
        }
        return c
    }
}
