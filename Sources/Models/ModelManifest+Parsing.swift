public import Foundation
import Tensor

extension ModelManifest {
    /// Reads and validates `url`; errors name `label` (default: the file's path) and the JSON path.
    public static func load(contentsOf url: URL, label: String? = nil) throws(ModelsError) -> ModelManifest {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .io(path: label ?? url.path, reason: (error as NSError).localizedDescription)
        }
        return try parse(data, file: label ?? url.path)
    }

    /// Validates manifest JSON; `file` prefixes every error message. A member that is not a manifest field
    /// (except `x-` notes) is refused with its JSON path, so a misspelt optional field cannot pass unnoticed.
    public static func parse(_ data: Data, file: String = "model.json") throws(ModelsError) -> ModelManifest {
        let root: JSONValue
        do { root = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            let reason: String
            if case DecodingError.dataCorrupted(let c) = error {
                reason = (c.underlyingError as NSError?)?.localizedDescription ?? c.debugDescription
            } else { reason = "\(error)" }
            throw .invalidJSON(file: file, reason: reason)
        }
        let cursor = JSONCursor.root(root, file: file)
        let manifest = try parse(cursor)
        try cursor.rejectUnknownKeys()
        return manifest
    }

    static func parse(_ j: JSONCursor) throws(ModelsError) -> ModelManifest {
        _ = try j.object()
        let name = try j.required("name").nonEmptyString()
        let versionField = try j.required("version")
        let version = try versionField.int()
        guard version > 0 else { throw versionField.fail("must be a positive integer, got \(version)") }
        let task = try j.required("task").oneOf(Task.self)

        let inputsField = try j.required("inputs")
        let inputs = try inputsField.array().map { (c: JSONCursor) throws(ModelsError) in try parseInput(c) }
        guard !inputs.isEmpty else { throw inputsField.fail("must list at least one input") }
        try unique(inputs.map(\.name), inputsField)

        let preprocessing = try j.optional("preprocessing").map { (c: JSONCursor) throws(ModelsError) in try parsePreprocessing(c) }
        if let p = preprocessing, let pj = try j.optional("preprocessing") {
            let channels = inputs[0].channels == .rgb ? 3 : 1
            for (key, values) in [("mean", p.mean), ("std", p.std)] {
                if let values, values.count != 1, values.count != channels, let field = try pj.optional(key) {
                    throw field.fail("has \(values.count) values; expected 1 or one per channel (\(channels))")
                }
            }
        }

        let outputsField = try j.required("outputs")
        let outputs = try outputsField.array().map { (c: JSONCursor) throws(ModelsError) in try parseOutput(c) }
        guard !outputs.isEmpty else { throw outputsField.fail("must list at least one output") }
        try unique(outputs.map(\.name), outputsField)

        let shaField = try j.required("sha256")
        var sha256: [String: String] = [:]
        for (file, c) in try shaField.entries() {
            let hex = try c.string().lowercased()
            guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else { throw c.fail("expected 64 hex digits") }
            try checkRelative(file, c)
            sha256[file] = hex
        }
        guard sha256["model.onnx"] != nil else { throw shaField.fail("must list model.onnx") }

        var checks: [Check] = []
        if let checksField = try j.optional("checks") {
            for c in try checksField.array() { checks.append(try parseCheck(c)) }
        }
        return ModelManifest(
            name: name, version: version, task: task, multiLabel: try j.optional("multiLabel")?.bool(), inputs: inputs,
            preprocessing: preprocessing, outputs: outputs, sha256: sha256, license: try j.optional("license")?.string(),
            copyright: try j.optional("copyright")?.string(), source: try j.optional("source")?.string(),
            intendedUse: try j.optional("intendedUse")?.string(), limitations: try j.optional("limitations")?.string(),
            checks: checks, heatmap: try j.optional("heatmap")?.oneOf(HeatmapMethod.self) ?? .auto,
            batching: try j.optional("batching").map { (c: JSONCursor) throws(ModelsError) in try parseBatching(c) })
    }

    static func parseBatching(_ c: JSONCursor) throws(ModelsError) -> Batching {
        _ = try c.object()
        let sizeField = try c.required("maxBatchSize"), delayField = try c.required("maxDelayMs")
        let size = try sizeField.int(), delay = try delayField.int()
        guard size >= 1 else { throw sizeField.fail("must be at least 1, got \(size)") }
        guard delay >= 0 else { throw delayField.fail("must not be negative, got \(delay)") }
        return Batching(maxBatchSize: size, maxDelayMs: delay)
    }

    static func parseInput(_ c: JSONCursor) throws(ModelsError) -> Input {
        let shapeField = try c.required("shape")
        var shape: [Int?] = []
        for d in try shapeField.array() {
            if d.value == .null { shape.append(nil); continue }
            let n = try d.int()
            guard n == -1 || n > 0 else { throw d.fail("expected a positive size, or -1 or null for a dynamic one, got \(n)") }
            shape.append(n == -1 ? nil : n)
        }
        guard !shape.isEmpty else { throw shapeField.fail("must not be empty") }
        let dtypeField = try c.required("dtype")
        let dtype = try dtypeField.string()
        guard DType(rawValue: dtype) != nil else {
            throw dtypeField.fail("'\(dtype)' is not one of \(DType.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))")
        }
        let modalities = try c.optional("modalities")?.strings()
        let policy = try c.optional("modalityPolicy")
        let modalityPolicy = try policy?.oneOf(ModalityPolicy.self) ?? .warn
        if let policy, modalityPolicy == .strict, modalities?.isEmpty ?? true {
            throw policy.fail("'strict' needs a non-empty 'modalities' list to enforce")
        }
        return Input(name: try c.required("name").nonEmptyString(), layout: try c.required("layout").oneOf(Layout.self),
                     shape: shape, dtype: dtype, channels: try c.required("channels").oneOf(Channels.self),
                     modalities: modalities, modalityPolicy: modalityPolicy, bodyParts: try c.optional("bodyParts")?.strings())
    }

    static func parsePreprocessing(_ c: JSONCursor) throws(ModelsError) -> Preprocessing {
        var p = Preprocessing()
        if let f = try c.optional("frame") {
            if f.value == .string("middle") {
                p.frame = .middle
            } else {
                guard case .number = f.value else { throw f.expected("a frame index or \"middle\"") }
                let n = try f.int()
                guard n >= 0 else { throw f.fail("expected a frame index >= 0 or \"middle\", got \(n)") }
                p.frame = .index(n)
            }
        }
        p.invertMonochrome1 = try c.optional("invertMonochrome1")?.bool()
        if let q = try c.optional("quantize") {
            let bits = try q.required("bits")
            guard try bits.int() == 8 else { throw bits.fail("only 8 is implemented") }
            p.quantize = Quantize(bits: 8, rounding: try q.required("rounding").oneOf(Quantize.Rounding.self))
        }
        if let w = try c.optional("window") {
            switch w.value {
            case .string("minmax"): p.window = .minmax
            case .string("stored"): p.window = .stored(index: 0)
            case .object(let o) where o["stored"] != nil:
                let i = try w.required("stored")
                let n = try i.int()
                guard n >= 0 else { throw i.fail("expected a window index >= 0, got \(n)") }
                p.window = .stored(index: n)
            case .object:
                let width = try w.required("width")
                guard try width.number() > 0 else { throw width.fail("must be > 0") }
                p.window = .explicit(center: try w.required("center").float(), width: try width.float())
            default:
                throw w.fail("expected {\"center\", \"width\"}, {\"stored\": index}, \"stored\" or \"minmax\", got \(w.value.kind)")
            }
        }
        if let r = try c.optional("resize") {
            let width = try r.required("width"), height = try r.required("height")
            let wv = try width.int(), hv = try height.int()
            guard wv > 0 else { throw width.fail("must be > 0") }
            guard hv > 0 else { throw height.fail("must be > 0") }
            var antialias: Bool?
            if let a = try r.optional("antialias") {
                antialias = try a.bool()
                guard antialias == true else {
                    throw a.fail("only true is implemented (the filter widens when downsampling, as Pillow's resize)")
                }
            }
            p.resize = Resize(mode: try r.required("mode").oneOf(ResizeMode.self), width: wv, height: hv,
                              antialias: antialias, reference: try r.optional("reference")?.string())
        }
        if let s = try c.optional("scale") {
            let v = try s.float()
            guard v.isFinite, v != 0 else { throw s.fail("must be a non-zero number") }
            p.scale = v
        }
        p.mean = try c.optional("mean")?.floats()
        if let s = try c.optional("std") {
            let v = try s.floats()
            guard !v.contains(where: { !($0 > 0) }) else { throw s.fail("every value must be > 0") }
            p.std = v
        }
        return p
    }

    static func parseOutput(_ c: JSONCursor) throws(ModelsError) -> Output {
        let labels = try c.required("labels").strings()
        var thresholds: [Float]?
        if let t = try c.optional("thresholds") {
            let v = try t.floats()
            guard v.count == labels.count else { throw t.fail("has \(v.count) values for \(labels.count) labels") }
            thresholds = v
        }
        return Output(name: try c.required("name").nonEmptyString(),
                      activation: try c.optional("activation")?.oneOf(Activation.self) ?? .none,
                      labels: labels, thresholds: thresholds)
    }

    static func parseCheck(_ c: JSONCursor) throws(ModelsError) -> Check {
        func files(_ key: String) throws(ModelsError) -> [String: String] {
            let f = try c.required(key)
            var out: [String: String] = [:]
            for (name, e) in try f.entries() {
                let file = try e.nonEmptyString()
                try checkRelative(file, e)
                out[name] = file
            }
            guard !out.isEmpty else { throw f.fail("must name at least one tensor") }
            return out
        }
        let t = try c.required("tolerance")
        let tolerance = try t.float()
        guard tolerance >= 0, tolerance.isFinite else { throw t.fail("must be a number >= 0") }
        return Check(inputs: try files("input"), expected: try files("expected"), tolerance: tolerance)
    }

    /// Files named by a manifest stay inside the version folder.
    static func checkRelative(_ file: String, _ c: JSONCursor) throws(ModelsError) {
        if file.hasPrefix("/") || file.split(separator: "/").contains("..") || file.isEmpty {
            throw c.fail("'\(file)' must be a path relative to the version folder, without '..'")
        }
    }

    static func unique(_ names: [String], _ c: JSONCursor) throws(ModelsError) {
        var seen: Set<String> = []
        for n in names where !seen.insert(n).inserted { throw c.fail("names '\(n)' twice") }
    }
}
