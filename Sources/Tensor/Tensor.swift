public struct Tensor {}
