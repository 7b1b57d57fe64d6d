// Times `Imaging.decode` (bytes in memory -> stored pixels of every frame) on each file given.
// Prints one JSON object per file: {"file", "iterations", "ms": {"min", "median", "max"}}.
// Usage: DecodeBenchmark [--iterations N] [--stage stored|display] FILE...
import Foundation
import Imaging

var iterations = 20
var stage = "stored"
var files: [String] = []
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--iterations": iterations = Int(args.popFirst() ?? "") ?? iterations
    case "--stage": stage = args.popFirst() ?? stage
    default: files.append(a)
    }
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }

for file in files {
    guard let data = try? Data(contentsOf: URL(fileURLWithPath: file)) else {
        FileHandle.standardError.write(Data("cannot read \(file)\n".utf8))
        exit(1)
    }
    var times: [Double] = []
    for i in 0..<(iterations + 2) {
        let t0 = now()
        do {
            let image = try Imaging.decode(data)
            if stage == "display" { _ = try image.displayFrame(0) }
        } catch {
            FileHandle.standardError.write(Data("\(file): \(error)\n".utf8))
            exit(1)
        }
        if i >= 2 { times.append(now() - t0) }  // two warm-up runs
    }
    times.sort()
    let json: [String: Any] = [
        "file": file, "iterations": iterations,
        "ms": ["min": times[0], "median": times[times.count / 2], "max": times[times.count - 1]],
    ]
    let out = try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
    print(String(decoding: out, as: UTF8.self))
}
