import Engine
import Kernels
import Foundation
import ONNX
import Tensor
import TestSupport
import Testing

/// One model of `Tests/Fixtures/onnx-models/manifest.json` (made by `Scripts/make_onnx_models.py`,
/// reference outputs from ONNX Runtime 1.32).
struct ModelCase: Decodable, CustomTestStringConvertible, Sendable {
    struct Tolerance: Decodable, Sendable { var rtol: Double }
    struct ExpectedError: Decodable, Sendable {
        struct Op: Decodable, Sendable { var op_type: String; var node: String }
        var ops: [Op]
    }
    var name: String
    var dir: String
    var input: String
    var outputs: [String]
    var input_files: [String: String]?
    var output_files: [String: [String: String]]?
    var tolerance: Tolerance
    var expect_error: ExpectedError?
    var testDescription: String { name }

    static func load() -> [ModelCase] {
        struct Manifest: Decodable { var models: [ModelCase] }
        guard let data = try? Fixtures.data("onnx-models/manifest.json"),
              let m = try? JSONDecoder().decode(Manifest.self, from: data) else { return [] }
        return m.models
    }
}

@Suite(.onComputeThreads) struct ModelReferenceTests {
    static let cases = ModelCase.load()
    static let runnable = cases.filter { $0.expect_error == nil }

    @Test func manifestLoads() { #expect(Self.runnable.count >= 8) }

    /// Default choices on one thread; im2col + GEMM, then Winograd F(2×2) and F(4×4), forced wherever they apply, on two threads.
    static let options = [CompileOptions(threads: 1), CompileOptions(threads: 2, convAlgorithm: .im2colGEMM),
                          CompileOptions(threads: 2, convAlgorithm: .winogradF2), CompileOptions(threads: 2, convAlgorithm: .winogradF4)]

    /// max |ours − ORT| ≤ rtol · max(1, max |ORT|) at batch 1 and batch 3.
    @Test(arguments: runnable, options)
    func matchesONNXRuntime(_ c: ModelCase, _ options: CompileOptions) throws {
        let model = try Model(graph: ONNXModel.load(contentsOf: Fixtures.url("onnx-models/\(c.dir)/model.onnx")), options: options)
        for batch in ["b1", "b3"] {
            let input = try NPY.read(from: Fixtures.url("onnx-models/\(c.dir)/\(try #require(c.input_files?[batch]))"))
            let outputs = try model.run([c.input: input])
            for name in c.outputs {
                let file = try #require(c.output_files?[name]?[batch])
                let ref = try NPY.read(from: Fixtures.url("onnx-models/\(c.dir)/\(file)"))
                let ours = try #require(outputs[name], "output \(name) missing")
                #expect(ours.shape == ref.shape, "\(name) \(batch)")
                let r = ref.doubles()
                let bound = c.tolerance.rtol * max(1, r.map(abs).max() ?? 0)
                let d = try #require(difference(ours.doubles(), r))
                #expect(d.maxAbs <= bound, "\(c.name) \(name) \(batch): \(d), bound \(bound)")
            }
        }
    }

    /// An image's output is bit-identical whatever its batch and its position in the batch (on 1 and 2 threads),
    /// both when the batch runs through each layer together and image by image (`Plan.perImage`).
    @Test(arguments: runnable, [1, 2])
    func batchInvariance(_ c: ModelCase, _ threads: Int) throws {
        let graph = try ONNXModel.load(contentsOf: Fixtures.url("onnx-models/\(c.dir)/model.onnx"))
        let model = try Model(graph: graph, options: CompileOptions(threads: threads))
        let together = try Model(graph: graph, options: CompileOptions(threads: threads, perImageBatches: false))
        let b3 = try NPY.read(from: Fixtures.url("onnx-models/\(c.dir)/\(try #require(c.input_files?["b3"]))"))
        #expect(try together.plan(for: [c.input: b3.shape]).perImage == nil)
        // The CNN fixtures keep their images apart in every op.
        #expect(try model.plan(for: [c.input: b3.shape]).perImage != nil || !["residual_bn", "mobilenet_block", "unet"].contains(c.name))
        let runs = [("image by image", try model.run([c.input: b3])), ("together", try together.run([c.input: b3]))]
        let per = b3.count / b3.shape[0]
        let values = b3.floats()
        for i in 0..<b3.shape[0] {
            let one = try Tensor(shape: [1] + Array(b3.shape.dropFirst()), values: Array(values[(i * per)..<((i + 1) * per)]))
            let single = try model.run([c.input: one])
            for name in c.outputs {
                let s = try #require(single[name]).floats()
                let n = s.count
                for (how, all) in runs {
                    let a = try #require(all[name]).floats()
                    #expect(Array(a[(i * n)..<((i + 1) * n)]) == s, "\(c.name) \(name): image \(i) differs between batch 3 (\(how)) and batch 1")
                }
            }
        }
    }

    @Test func unsupportedOpsAreListedInOneError() throws {
        let c = try #require(Self.cases.first { $0.expect_error != nil })
        let graph = try ONNXModel.load(contentsOf: Fixtures.url("onnx-models/\(c.dir)/model.onnx"))
        do {
            _ = try Model(graph: graph)
            Issue.record("a model with unsupported ops loaded")
        } catch {
            let text = error.description
            for op in try #require(c.expect_error).ops {
                #expect(text.contains(op.op_type) && text.contains(op.node), "\(text) should name \(op.op_type) (\(op.node))")
            }
            #expect(text.contains("opset"))
        }
    }

    @Test func garbageIsATypedError() {
        #expect(throws: ONNXError.self) { try ONNXModel.load(data: Data("not a model".utf8), baseDirectory: nil) }
    }
}

/// The run arena: intermediates live in one block placed by liveness, reused across runs and never shared
/// by concurrent runs; outputs leave it.
@Suite(.onComputeThreads) struct ArenaTests {
    @Test(arguments: ModelReferenceTests.runnable)
    func repeatedAndConcurrentRunsAgree(_ c: ModelCase) async throws {
        let model = try Model(graph: ONNXModel.load(contentsOf: Fixtures.url("onnx-models/\(c.dir)/model.onnx")))
        let b3 = try NPY.read(from: Fixtures.url("onnx-models/\(c.dir)/\(try #require(c.input_files?["b3"]))"))
        let plan = try model.plan(for: [c.input: b3.shape])
        #expect(plan.arenaBytes >= 0)
        let first = try model.run([c.input: b3])
        for (_, t) in first { #expect(!t.isInArena) }
        #expect(try model.run([c.input: b3]) == first, "second run (reused arena)")
        let results = try await withThrowingTaskGroup(of: [String: Tensor].self) { group in
            for _ in 0..<4 { group.addTask { try model.run([c.input: b3]) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for r in results { #expect(r == first, "concurrent run") }
    }

    /// Two values alive at once never overlap; the arena is smaller than keeping every intermediate.
    @Test func liveValuesDoNotOverlap() throws {
        let c = try #require(ModelReferenceTests.runnable.first { $0.name.contains("unet") } ?? ModelReferenceTests.runnable.first)
        let model = try Model(graph: ONNXModel.load(contentsOf: Fixtures.url("onnx-models/\(c.dir)/model.onnx")))
        let b3 = try NPY.read(from: Fixtures.url("onnx-models/\(c.dir)/\(try #require(c.input_files?["b3"]))"))
        let plan = try model.plan(for: [c.input: b3.shape])
        #expect(plan.arenaBytes > 0 && plan.arenaBytes < plan.intermediateBytes, "\(plan.arenaBytes) of \(plan.intermediateBytes)")
        #expect(plan.arenaOverlaps() == [], "overlapping live regions")
    }
}
