@testable import Engine
import Tensor
import Testing
import TestSupport

/// Einsum against a brute-force evaluation (the slow reference: every assignment of every label, products
/// summed into the output) on random shapes of the equations vision and attention exports use, in float32
/// (the GEMM path) and float64; the ONNX node tests (`node-tests.txt`) hold the float64 cases against ONNX.
@Suite struct EinsumTests {
    /// The equation's value written out: labels are single letters, no "...".
    static func bruteForce(_ equation: String, _ xs: [[Double]], _ shapes: [[Int]]) -> (shape: [Int], values: [Double]) {
        let sides = equation.split(separator: "-")
        let terms = sides[0].split(separator: ",", omittingEmptySubsequences: false).map { Array($0) }
        let out = sides.count > 1 ? Array(sides[1].dropFirst()) : []
        var size: [Character: Int] = [:]
        for (t, s) in zip(terms, shapes) { for (l, d) in zip(t, s) { size[l] = max(size[l] ?? 1, d) } }
        let labels = Array(size.keys).sorted()
        let outShape = out.map { size[$0]! }
        var y = [Double](repeating: 0, count: outShape.reduce(1, *))
        var assignment = [Character: Int]()
        func visit(_ i: Int) {
            if i == labels.count {
                var p = 1.0
                for (k, t) in terms.enumerated() {
                    var o = 0
                    for (l, d) in zip(t, shapes[k]) { o = o * d + (d == 1 ? 0 : assignment[l]!) }
                    p *= xs[k][o]
                }
                var o = 0
                for l in out { o = o * size[l]! + assignment[l]! }
                y[o] += p
                return
            }
            for v in 0..<size[labels[i]]! { assignment[labels[i]] = v; visit(i + 1) }
        }
        visit(0)
        return (outShape, y)
    }

    static let cases: [(String, [[Character]])] = [
        ("bhqd,bhkd->bhqk", [["b", "h", "q", "d"], ["b", "h", "k", "d"]]),  // attention scores
        ("bhqk,bhkd->bhqd", [["b", "h", "q", "k"], ["b", "h", "k", "d"]]),  // attention · values
        ("ij,jk->ik", [["i", "j"], ["j", "k"]]),
        ("bij->bji", [["b", "i", "j"]]),
        ("ij->i", [["i", "j"]]),
        ("i,i->", [["i"], ["i"]]),
        ("ij,jk,kl->il", [["i", "j"], ["j", "k"], ["k", "l"]]),
        ("bi,bj->bij", [["b", "i"], ["b", "j"]]),  // outer product per batch
        ("bij,j->bi", [["b", "i", "j"], ["j"]]),
        ("bik,bjk->bij", [["b", "i", "k"], ["b", "j", "k"]]),
    ]

    @Test(arguments: 0..<(2 * cases.count))
    func matchesTheBruteForceSum(_ index: Int) throws {
        let (equation, terms) = Self.cases[index % Self.cases.count]
        let double = index >= Self.cases.count
        var rng = SeededGenerator(seed: UInt64(index) &+ 5)
        var size: [Character: Int] = [:]
        for l in Set(terms.joined()) { size[l] = 1 + Int(rng.next() % 5) }
        // One broadcast dimension of size 1 in the first operand of the batched cases.
        var shapes = terms.map { $0.map { size[$0]! } }
        if terms[0].first == "b", terms.count > 1, size["b"]! > 1 { shapes[0][0] = 1 }
        let xs = shapes.map { s in (0..<s.reduce(1, *)).map { _ in Double(Int(rng.next() % 2001) - 1000) / 500 } }
        let names = terms.indices.map { "x\($0)" }
        let node = Node(name: "einsum_\(index)", opType: "Einsum", inputs: names, outputs: ["y"],
                        attributes: ["equation": .string(equation)])
        let op = try EinsumOp(node, 12)
        let inputs: [Tensor?] = try zip(shapes, xs).map { s, x in
            double ? try Tensor(shape: s, values: x) : try Tensor(shape: s, values: x.map { Float($0) })
        }
        let y = try op.run(inputs)[0]
        let want = Self.bruteForce(equation, xs, shapes)
        #expect(y.shape == want.shape, "\(equation) \(shapes)")
        #expect(y.dtype == (double ? .float64 : .float32))
        for (a, b) in zip(y.doubles(), want.values) {
            #expect(abs(a - b) <= (double ? 1e-9 : 1e-4) * max(1, abs(b)), "\(equation) \(shapes): \(a) vs \(b)")
        }
    }

    @Test func malformedEquationsAreNamedErrors() throws {
        let x = try Tensor(shape: [2, 3], values: [Float](repeating: 1, count: 6))
        for (equation, words) in [("ij,jk->ik", "2 input terms"), ("i->i", "rank 2"), ("ij->k", "no input has"),
                                  ("i1->i", "not a letter"), ("ij->i->j", "more than one")] {
            let node = Node(name: "e", opType: "Einsum", inputs: ["x"], outputs: ["y"], attributes: ["equation": .string(equation)])
            #expect {
                _ = try EinsumOp(node, 12).run([x])
            } throws: { "\($0)".contains(words) }
        }
    }
}
