extension Sequence where Element == Int {
    /// The product of the dimensions, `Int.max` when it overflows: a hostile shape then fails a size check
    /// with a typed error instead of trapping in the multiplication.
    var product: Int {
        var n = 1
        for d in self {
            let (m, o) = n.multipliedReportingOverflow(by: d)
            if o { return .max }
            n = m
        }
        return n
    }
}
