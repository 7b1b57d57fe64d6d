import Tensor
import Testing
import TestSupport

/// Rows along the first axis: taken out with storage of their own, and stacked back.
@Suite(.onComputeThreads) struct TensorRowsTests {
    @Test func rowsAndStackingAreInverse() throws {
        let t = try Tensor(shape: [4, 2, 3], values: (0..<24).map { Float($0) })
        let middle = try t.rows(from: 1, count: 2)
        #expect(middle.shape == [2, 2, 3])
        #expect(middle.floats() == (6..<18).map { Float($0) })
        #expect(!middle.sharesStorage(with: t))
        let parts = try [t.rows(from: 0, count: 1), middle, t.rows(from: 3, count: 1)]
        #expect(try Tensor.stacking(rows: parts) == t)
        #expect(try t.rows(from: 2, count: 0).shape == [0, 2, 3])
    }

    @Test func stackingKeepsTheDtype() throws {
        let a = try Tensor(shape: [1, 2], values: [Int64(1), 2]), b = try Tensor(shape: [2, 2], values: [Int64(3), 4, 5, 6])
        let s = try Tensor.stacking(rows: [a, b])
        #expect(s.shape == [3, 2] && s.dtype == .int64)
        #expect(try s.values(as: Int64.self) == [1, 2, 3, 4, 5, 6])
    }
}
