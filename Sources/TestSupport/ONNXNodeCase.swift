import Engine
import Foundation
import ONNX
import Tensor

/// One ONNX backend node test from `Tests/Fixtures/onnx-node`: load, run on its first data set, compare
/// (float32/float64 within 1e-5 absolute + 1e-3 relative; every other type bit for bit). Shared by the conformance tests
/// and the list regenerator (`Scripts/NodeTestList`).
public enum ONNXNodeCase {
    /// nil when the test passes, else the reason (the engine's error or the first mismatch).
    public static func run(_ name: String) -> String? {
        let dir = Fixtures.url("onnx-node/\(name)")
        do {
            let model = try Model(graph: ONNXModel.load(contentsOf: dir.appendingPathComponent("model.onnx")))
            let data = dir.appendingPathComponent("test_data_set_0")
            func load(_ prefix: String) throws -> [(String, Tensor)] {
                var out: [(String, Tensor)] = []
                var i = 0
                while FileManager.default.fileExists(atPath: data.appendingPathComponent("\(prefix)_\(i).pb").path) {
                    out.append(try ONNXModel.tensor(fromTensorProto: Data(contentsOf: data.appendingPathComponent("\(prefix)_\(i).pb"))))
                    i += 1
                }
                return out
            }
            let inputs = try load("input"), expected = try load("output")
            var feeds: [String: Tensor] = [:]
            for (i, (_, t)) in inputs.enumerated() where i < model.graph.inputs.count { feeds[model.graph.inputs[i].name] = t }
            let outputs = try model.run(feeds)
            for (i, (_, want)) in expected.enumerated() {
                guard i < model.graph.outputs.count, let got = outputs[model.graph.outputs[i].name] else { return "output \(i) missing" }
                guard got.dtype == want.dtype else { return "output \(i) is \(got.dtype.rawValue), expected \(want.dtype.rawValue)" }
                guard got.shape == want.shape else { return "output \(i) shape \(got.shape), expected \(want.shape)" }
                // float32/float64 within tolerance; every other type bit for bit (−0, NaN codes included).
                let exact = ![DType.float32, .float64].contains(want.dtype)
                if exact && got == want { continue }
                let a = got.doubles(), b = want.doubles()
                for j in a.indices {
                    let close = abs(a[j] - b[j]) <= 1e-5 + 1e-3 * abs(b[j]) || (a[j].isNaN && b[j].isNaN)
                    let ok = exact ? a[j].bitPattern == b[j].bitPattern : a[j] == b[j] || close
                    if !ok { return "output \(i)[\(j)] = \(a[j]), expected \(b[j])" }
                }
                if exact { return "output \(i): the bytes differ from the expected \(want.dtype.rawValue) values" }
            }
            return nil
        } catch {
            return "\(error)"
        }
    }
}
