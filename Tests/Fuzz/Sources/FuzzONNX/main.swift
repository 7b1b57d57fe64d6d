import Engine
import Foundation
import FuzzDriver
import ONNX

/// The options every input is compiled with: a small memory budget, so the fuzzer explores structure rather
/// than allocations (the budget itself is unit-tested), one thread.
let options = CompileOptions(threads: 1, memoryBudget: 64 << 20)

/// One input: model bytes → `ONNXModel.load` → `Engine.Model` (op validation, passes) → a plan for the
/// declared input shapes (symbolic dimensions bound to 1), which runs shape inference and constant folding.
/// Any error is fine; a trap, an overflow or a sanitizer report is the finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let data = Data(bytes: start, count: count)
    guard let graph = try? ONNXModel.load(data: data, baseDirectory: nil),
          let model = try? Engine.Model(graph: graph, options: options) else { return 0 }
    _ = try? model.plan(for: graph.declaredInputShapes())
    return 0
}

@_cdecl("FuzzONNX_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOne)
}
