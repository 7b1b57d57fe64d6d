import Foundation
import Models
import TestSupport
import Testing

/// Unknown members are refused with their JSON path; the fields the default manifest uses are all known;
/// `modalityPolicy`, `frame`, `invertMonochrome1`, `quantize` and `resize.antialias` are validated.
@Suite(.onComputeThreads) struct ModelManifestFieldsTests {
    /// `ModelManifestTests.error` with `edit` applied to `preprocessing` or `inputs[0]`.
    static func preprocessingError(_ edit: @escaping (inout [String: Any]) -> Void) throws -> String {
        try ModelManifestTests.error { m in
            var p = m["preprocessing"] as! [String: Any]
            edit(&p)
            m["preprocessing"] = p
        }
    }

    static func inputError(_ edit: @escaping (inout [String: Any]) -> Void) throws -> String {
        try ModelManifestTests.error { m in
            var inputs = m["inputs"] as! [[String: Any]]
            edit(&inputs[0])
            m["inputs"] = inputs
        }
    }

    static func parse(_ edit: (inout [String: Any]) -> Void) throws -> ModelManifest {
        try ModelManifest.parse(try ModelManifestTests.json(edit))
    }

    @Test func misspeltKeysAreRefusedWithTheirPath() throws {
        #expect(try Self.preprocessingError { $0["windw"] = "minmax" }
            == "model.json: preprocessing.windw: unknown field; did you mean 'window'? (misspelt, or not supported by this version of medinfer)")
        #expect(try Self.inputError { $0["bodyPart"] = ["HEAD"] }
            == "model.json: inputs[0].bodyPart: unknown field; did you mean 'bodyParts'? (misspelt, or not supported by this version of medinfer)")
        #expect(try ModelManifestTests.error { $0["licence"] = "MIT" }.hasPrefix("model.json: licence: unknown field; did you mean 'license'?"))
        #expect(try ModelManifestTests.error { m in
            m["outputs"] = [["name": "output", "labels": ["a", "b", "c"], "treshold": [0.5, 0.5, 0.5]]]
        }.hasPrefix("model.json: outputs[0].treshold: unknown field; did you mean 'thresholds'?"))
        #expect(try ModelManifestTests.error { m in
            m["checks"] = [["input": ["input": "input.npy"], "expected": ["output": "expected.npy"], "tolerence": 1e-4]]
        } == "model.json: checks[0].tolerance: missing (required; is 'tolerence' misspelt?)")
        #expect(try ModelManifestTests.error { m in
            m["checks"] = [["input": ["input": "input.npy"], "expected": ["output": "expected.npy"], "tolerance": 1e-4,
                            "comment": "x"]]
        } == "model.json: checks[0].comment: unknown field (misspelt, or not supported by this version of medinfer)")
        // Nested: a member of the window object, and of the resize object.
        #expect(try Self.preprocessingError { $0["window"] = ["center": 40, "width": 400, "level": 40] }
            .hasPrefix("model.json: preprocessing.window.level: unknown field"))
        #expect(try Self.preprocessingError { $0["resize"] = ["mode": "area", "width": 32, "height": 32, "antiAlias": true] }
            .hasPrefix("model.json: preprocessing.resize.antiAlias: unknown field; did you mean 'antialias'?"))
    }

    @Test func mapsAndNotesAreNotUnknownKeys() throws {
        // sha256 and checks[].input/expected are maps whose keys are data, and `x-` members are notes.
        let m = try Self.parse { m in
            m["sha256"] = ["model.onnx": String(repeating: "ab", count: 32), "weights.bin": String(repeating: "cd", count: 32)]
            m["x-reviewed-by"] = "someone"
            var p = m["preprocessing"] as! [String: Any]
            p["x-note"] = ["any": ["json": 1]]
            m["preprocessing"] = p
        }
        #expect(m.sha256.count == 2)
    }

    /// Every member of the shipped default manifest is a known field, with the values it says.
    @Test func defaultManifestIsValidAndFullyKnown() throws {
        let url = Fixtures.packageRoot.appendingPathComponent("Models/brain-mri-tumor/1/model.json")
        let m = try ModelManifest.load(contentsOf: url)
        #expect(m.multiLabel == false && m.copyright?.hasPrefix("Copyright (c) 2018") == true)
        #expect(m.inputs[0].modalityPolicy == .warn && m.inputs[0].modalities == ["MR"])
        let p = try #require(m.preprocessing)
        #expect(p.frame == .index(0) && p.window == .minmax && p.invertMonochrome1 == true)
        #expect(p.quantize?.bits == 8 && p.quantize?.rounding == .halfUp)
        #expect(p.resize?.antialias == true && p.resize?.reference?.hasPrefix("Pillow") == true)
        // The same manifest with one member misspelt is refused.
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var pre = try #require(object["preprocessing"] as? [String: Any])
        pre["invertMonochrom1"] = pre.removeValue(forKey: "invertMonochrome1")
        object["preprocessing"] = pre
        #expect(throws: ModelsError.manifest(file: "model.json", path: "preprocessing.invertMonochrom1",
                                             reason: "unknown field; did you mean 'invertMonochrome1'? (misspelt, or not supported by this version of medinfer)")) {
            try ModelManifest.parse(try JSONSerialization.data(withJSONObject: object))
        }
    }

    @Test func modalityPolicy() throws {
        #expect(try Self.parse { _ in }.inputs[0].modalityPolicy == .warn)
        let strict = try Self.parse { m in
            var inputs = m["inputs"] as! [[String: Any]]
            inputs[0]["modalityPolicy"] = "strict"
            m["inputs"] = inputs
        }
        #expect(strict.inputs[0].modalityPolicy == .strict)
        #expect(try Self.inputError { $0["modalityPolicy"] = "refuse" }
            == "model.json: inputs[0].modalityPolicy: 'refuse' is not one of 'warn', 'strict'")
        #expect(try Self.inputError { i in
            i["modalityPolicy"] = "strict"
            i["modalities"] = nil
        } == "model.json: inputs[0].modalityPolicy: 'strict' needs a non-empty 'modalities' list to enforce")
    }

    @Test func frameAndOtherPreprocessingFields() throws {
        func frame(_ value: Any) throws -> ModelManifest.Frame? {
            try Self.parse { m in
                var p = m["preprocessing"] as! [String: Any]
                p["frame"] = value
                m["preprocessing"] = p
            }.preprocessing?.frame
        }
        #expect(try frame(3) == .index(3))
        #expect(try frame("middle") == .middle)
        #expect(try frame(NSNull()) == nil)
        #expect(try Self.preprocessingError { $0["frame"] = -1 }
            == "model.json: preprocessing.frame: expected a frame index >= 0 or \"middle\", got -1")
        #expect(try Self.preprocessingError { $0["frame"] = "last" }
            == "model.json: preprocessing.frame: expected a frame index or \"middle\", got a string")
        #expect(try Self.preprocessingError { $0["frame"] = 1.5 } == "model.json: preprocessing.frame: expected an integer, got a number")
        #expect(try Self.preprocessingError { $0["invertMonochrome1"] = "yes" }
            == "model.json: preprocessing.invertMonochrome1: expected true or false, got a string")
        #expect(try Self.preprocessingError { $0["quantize"] = ["bits": 16, "rounding": "halfUp"] }
            == "model.json: preprocessing.quantize.bits: only 8 is implemented")
        #expect(try Self.preprocessingError { $0["quantize"] = ["bits": 8, "rounding": "halfEven"] }
            == "model.json: preprocessing.quantize.rounding: 'halfEven' is not one of 'halfUp'")
        #expect(try Self.preprocessingError { $0["resize"] = ["mode": "area", "width": 32, "height": 32, "antialias": false] }
            .hasPrefix("model.json: preprocessing.resize.antialias: only true is implemented"))
    }
}
