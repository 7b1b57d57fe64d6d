import Engine
import Tensor
import Testing
import TestSupport

/// A batch runs image by image only where every op keeps images apart (`Plan.perImage`), and gives the
/// bits of the batch run through each layer together.
@Suite(.onComputeThreads) struct PerImageTests {
    static let x = ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N"), .fixed(2), .fixed(4), .fixed(4)])

    /// conv → relu → `tail` nodes reading "r"; the graph output is "y".
    static func model(_ tail: [Node], initializers extra: [String: Tensor] = [:], perImage: Bool = true,
                      threads: Int = 1) throws -> Model {
        let w = (0..<36).map { Float($0 % 7) / 6 - 0.5 }
        let g = Graph(nodes: [
            Node(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            Node(name: "relu", opType: "Relu", inputs: ["c"], outputs: ["r"]),
        ] + tail, inputs: [x], outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
           initializers: extra.merging(["w": try Tensor(shape: [2, 2, 3, 3], values: w)]) { a, _ in a }, opset: 13)
        return try Model(graph: g, options: CompileOptions(threads: threads, perImageBatches: perImage))
    }

    static func input(batch: Int) throws -> Tensor {
        try Tensor(shape: [batch, 2, 4, 4], values: (0..<(batch * 32)).map { Float(($0 * 7) % 11) - 5 })
    }

    @Test func imageWiseGraphsRunPerImageWithTheSameBits() throws {
        let tails: [[Node]] = [
            [Node(name: "pool", opType: "MaxPool", inputs: ["r"], outputs: ["y"], attributes: ["kernel_shape": .ints([2, 2])])],
            [Node(name: "cat", opType: "Concat", inputs: ["r", "x"], outputs: ["y"], attributes: ["axis": .int(1)])],
            [Node(name: "flat", opType: "Flatten", inputs: ["r"], outputs: ["y"], attributes: ["axis": .int(1)])],
            [Node(name: "t", opType: "Transpose", inputs: ["r"], outputs: ["y"], attributes: ["perm": .ints([0, 2, 3, 1])])],
        ]
        for tail in tails {
            let x = try Self.input(batch: 3)
            let perImage = try Self.model(tail), together = try Self.model(tail, perImage: false)
            #expect(try perImage.plan(for: ["x": x.shape]).perImage != nil, "\(tail[0].opType)")
            #expect(try perImage.plan(for: ["x": [1, 2, 4, 4]]).perImage == nil, "batch 1 runs as it is")
            let a = try perImage.run(["x": x]), b = try together.run(["x": x])
            #expect(a["y"] == b["y"] && a["y"] != nil, "\(tail[0].opType)")
        }
    }

    /// On 2 threads, images 0-3 of 5 run two side by side on one thread each and image 4 alone on both:
    /// every image has the bits of its batch-1 run on 2 threads.
    @Test func sideBySideImagesKeepTheirBits() throws {
        let tail = [Node(name: "pool", opType: "MaxPool", inputs: ["r"], outputs: ["y"], attributes: ["kernel_shape": .ints([2, 2])])]
        let model = try Self.model(tail, threads: 2)
        let x = try Self.input(batch: 5), values = x.floats()
        let all = try #require(try model.run(["x": x])["y"]).floats()
        let per = all.count / 5
        for i in 0..<5 {
            let one = try Tensor(shape: [1, 2, 4, 4], values: Array(values[(i * 32)..<((i + 1) * 32)]))
            #expect(try #require(try model.run(["x": one])["y"]).floats() == Array(all[(i * per)..<((i + 1) * per)]), "image \(i)")
        }
    }

    @Test func opsThatMixImagesKeepTheBatchTogether() throws {
        let tails: [[Node]] = [
            // axis 0 is concatenated, transposed away, flattened into one row, or softmaxed over
            [Node(name: "cat", opType: "Concat", inputs: ["r", "x"], outputs: ["y"], attributes: ["axis": .int(0)])],
            [Node(name: "t", opType: "Transpose", inputs: ["r"], outputs: ["y"], attributes: ["perm": .ints([1, 0, 2, 3])])],
            [Node(name: "flat", opType: "Flatten", inputs: ["r"], outputs: ["y"], attributes: ["axis": .int(0)])],
            [Node(name: "sm", opType: "Softmax", inputs: ["r"], outputs: ["y"], attributes: ["axis": .int(0)])],
            // an op outside the list of image-wise ops
            [Node(name: "rm", opType: "ReduceMean", inputs: ["r"], outputs: ["y"], attributes: ["axes": .ints([0])])],
        ]
        for tail in tails {
            let model = try Self.model(tail)
            #expect(try model.plan(for: ["x": [3, 2, 4, 4]]).perImage == nil, "\(tail[0].name)")
        }
        // a constant with a batch axis of its own differs per image
        let perImageConstant = try Self.model([Node(name: "add", opType: "Add", inputs: ["r", "k"], outputs: ["y"])],
                                              initializers: ["k": try Tensor(zeros: .float32, shape: [3, 2, 4, 4])])
        #expect(try perImageConstant.plan(for: ["x": [3, 2, 4, 4]]).perImage == nil)
    }
}
