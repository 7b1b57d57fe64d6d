import Engine
import Foundation
import ONNX
import Testing
import TestSupport

/// The committed inputs of `Tests/Fuzz/regressions/onnx` (each once trapped or overflowed the engine; see
/// `Scripts/make_fuzz_regressions.py` and the fuzz README) through the fuzz target's path, in the ordinary
/// test build: each loads and plans, or fails with a typed error that names what is wrong.
@Suite struct FuzzRegressionTests {
    static let folder = Fixtures.packageRoot.appendingPathComponent("Tests/Fuzz/regressions/onnx")
    static let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()

    @Test func theFolderHoldsTheRegressions() {
        #expect(Self.files.count >= 12, "\(Self.folder.path)")
    }

    @Test(arguments: files)
    func loadsAndPlansOrFailsWithATypedError(_ file: String) throws {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent(file))
        do {
            let graph = try ONNXModel.load(data: data, baseDirectory: nil)
            let model = try Engine.Model(graph: graph, options: CompileOptions(memoryBudget: 64 << 20))
            _ = try model.plan(for: graph.declaredInputShapes())
        } catch let error as ONNXError {
            #expect(!error.description.isEmpty)
        } catch let error as EngineError {
            #expect(!error.description.isEmpty)
        }
    }

    /// The named ones fail where they should, with the message a researcher needs.
    @Test func namedRegressionsSayWhatIsWrong() throws {
        func failure(_ file: String) -> String? {
            do {
                let graph = try ONNXModel.load(data: try Data(contentsOf: Self.folder.appendingPathComponent(file)), baseDirectory: nil)
                let model = try Engine.Model(graph: graph, options: CompileOptions(memoryBudget: 64 << 20))
                _ = try model.plan(for: graph.declaredInputShapes())
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(failure("slice-int64-max-ends.onnx") == nil)  // clamps to the axis and plans
        #expect(failure("initializer-huge-dims-no-data.onnx")?.contains("tensor 'w'") == true)
        #expect(failure("node-without-outputs.onnx")?.contains("node id_0 (Identity) has no output") == true)
        #expect(failure("input-produced-later.onnx")?.contains("'z' is produced by no earlier node") == true)
        #expect(failure("maxpool-int64-max-kernel.onnx")?.contains("attribute 'kernel_shape'") == true)
        #expect(failure("expand-overflowing-shape.onnx")?.contains("expand_7") == true)
    }
}
