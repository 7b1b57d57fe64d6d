public import Foundation
import Engine
import ONNX
import Tensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ModelRepository {
    /// Adds `modelFile` as the next version of `name` under `root` and returns its number. The files are
    /// assembled in a temporary folder inside `<root>/<name>/` (model.onnx; the manifest given, or a minimal
    /// one generated from the model's inputs and outputs; files the manifest's `checks` and `sha256` name,
    /// taken from beside the manifest or the model), the manifest gets this name, version and the SHA-256
    /// of every listed file, then the folder is renamed to the version number in one step.
    /// The new version serves only after a `reload()` verified it.
    public static func addVersion(root: URL, modelFile: URL, name: String, manifest: URL?) throws(ModelsError) -> Int {
        guard isValidName(name) else { throw .invalidName(name) }
        let fm = FileManager.default
        let folder = root.appendingPathComponent(name)
        let tmp = folder.appendingPathComponent(".incoming-\(UUID().uuidString)")
        do { try fm.createDirectory(at: tmp, withIntermediateDirectories: true) } catch {
            throw .io(path: tmp.path, reason: (error as NSError).localizedDescription)
        }
        var done = false
        defer { if !done { try? fm.removeItem(at: tmp) } }
        try copy(modelFile, to: tmp.appendingPathComponent("model.onnx"))

        var object: [String: Any]
        var listed: Set<String> = ["model.onnx"]
        if let manifest {
            object = try readObject(manifest)
            var wanted: [String] = []
            for case let check as [String: Any] in object["checks"] as? [Any] ?? [] {
                for key in ["input", "expected"] {
                    wanted += ((check[key] as? [String: Any]) ?? [:]).values.compactMap { $0 as? String }
                }
            }
            let sums = (object["sha256"] as? [String: Any]) ?? [:]
            listed.formUnion(sums.keys.filter { $0 != "model.json" })
            wanted += sums.keys.filter { $0 != "model.onnx" && $0 != "model.json" }
            for file in Set(wanted) {
                guard !file.hasPrefix("/"), !file.split(separator: "/").contains("..") else {
                    throw .manifest(file: manifest.path, path: "checks", reason: "'\(file)' must be relative, without '..'")
                }
                let candidates = [manifest.deletingLastPathComponent(), modelFile.deletingLastPathComponent()]
                    .map { $0.appendingPathComponent(file) }
                guard let source = candidates.first(where: { fm.fileExists(atPath: $0.path) }) else {
                    throw .io(path: candidates[0].path, reason: "named by the manifest but not found")
                }
                let target = tmp.appendingPathComponent(file)
                try? fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try copy(source, to: target)
            }
        } else {
            object = try generatedManifest(for: tmp.appendingPathComponent("model.onnx"), name: name, source: modelFile)
        }
        var sums: [String: String] = [:]
        for file in listed { sums[file] = try FileChecksum.sha256(of: tmp.appendingPathComponent(file)) }
        object["name"] = name
        object["sha256"] = sums

        var version = (versionFolders(in: folder).max() ?? 0) + 1
        for _ in 0..<100 {
            object["version"] = version
            try writeObject(object, to: tmp.appendingPathComponent("model.json"))
            let target = folder.appendingPathComponent(String(version))
            if !fm.fileExists(atPath: target.path), rename(tmp.path, target.path) == 0 {
                done = true
                return version
            }
            version += 1  // another writer took this number
        }
        throw .io(path: folder.path, reason: "could not find a free version number")
    }

    /// A manifest with the model's own inputs and outputs; licence, intended use and canaries left for a person.
    static func generatedManifest(for model: URL, name: String, source: URL) throws(ModelsError) -> [String: Any] {
        let graph: Graph
        do { graph = try ONNXModel.load(contentsOf: model) } catch {
            throw .load(file: source.path, reason: "\(error)")
        }
        func dims(_ shape: [Dim]?) -> [Int] {
            (shape ?? []).map { d in if case .fixed(let n) = d { return n } else { return -1 } }
        }
        let inputs: [[String: Any]] = graph.inputs.map { v in
            let s = dims(v.shape)
            let nhwc = s.count == 4 && [1, 3].contains(s[3]) && ![1, 3].contains(s[1])
            let c = s.count == 4 ? (nhwc ? s[3] : s[1]) : 1
            return ["name": v.name, "layout": nhwc ? "NHWC" : "NCHW", "shape": s, "dtype": v.dtype.rawValue,
                    "channels": c == 3 ? "rgb" : "gray"]
        }
        let outputs: [[String: Any]] = graph.outputs.map { v in
            let s = dims(v.shape)
            let classes = s.count == 2 ? s[1] : 0
            return ["name": v.name, "activation": "none", "labels": (0..<max(classes, 0)).map { "class_\($0)" }]
        }
        let segmentation = graph.outputs.contains { ($0.shape?.count ?? 0) >= 3 }
        return ["task": segmentation ? "segmentation" : "classification", "inputs": inputs, "outputs": outputs,
                "license": "unspecified", "source": "added from \(source.lastPathComponent) by medinfer models add",
                "intendedUse": "unspecified", "limitations": "generated manifest: no preprocessing, labels or canaries",
                "checks": [Any]()]
    }

    static func copy(_ from: URL, to: URL) throws(ModelsError) {
        do { try FileManager.default.copyItem(at: from, to: to) } catch {
            throw .io(path: from.path, reason: (error as NSError).localizedDescription)
        }
    }

    static func readObject(_ url: URL) throws(ModelsError) -> [String: Any] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .io(path: url.path, reason: (error as NSError).localizedDescription)
        }
        guard let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidJSON(file: url.path, reason: "expected a JSON object")
        }
        return o
    }

    static func writeObject(_ object: [String: Any], to url: URL) throws(ModelsError) {
        do {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: url)
        } catch {
            throw .io(path: url.path, reason: "\(error)")
        }
    }
}
