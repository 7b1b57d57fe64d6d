import Engine
import Models
import Tensor

extension Analyzer {
    /// Images per engine run while occluding: bounds the arena (a 240×240 VGG16 batch of 16 already needs
    /// hundreds of MB) while still amortising each plan run over many cells.
    static let occlusionBatch = 16

    /// Occlusion sensitivity of one preprocessed sample (`preprocessor.sampleShape`, as in `Prepared.values`):
    /// the model input is cut into a `grid × grid` grid of cells (rows `r·H/grid ..< (r+1)·H/grid`, same for
    /// columns); each cell in turn is filled with the sample's per-channel mean (in input space, so it
    /// carries no edge or intensity the model could react to) and the probability of class `classIndex` of
    /// the manifest's first output is compared with the unoccluded one.
    ///
    /// Returns the drop `p(original) − p(occluded)` per cell, row-major (`grid × grid`), one engine run
    /// per cell plus one, batched `occlusionBatch` at a time.
    /// - Throws: `.unsupportedManifest` for a grid outside 1...min(H, W); `.engine` if a run fails.
    public func occlusionDrops(_ sample: [Float], classIndex: Int, grid: Int) throws(PipelineError) -> [Double] {
        let h = preprocessor.height, w = preprocessor.width, c = preprocessor.channels
        guard (1...min(h, w)).contains(grid) else {
            throw .unsupportedManifest("occlusion grid \(grid) for a \(w)×\(h) input (1...\(min(h, w)))")
        }
        guard sample.count == h * w * c else {
            throw .image("sample has \(sample.count) values, the input needs \(h * w * c)")
        }
        let spec = model.manifest.outputs[0]
        guard (0..<spec.labels.count).contains(classIndex) else {
            throw .engine("class \(classIndex) of output \(spec.name), which has \(spec.labels.count) labels")
        }
        let nhwc = preprocessor.input.layout == .nhwc
        func index(_ y: Int, _ x: Int, _ ch: Int) -> Int { nhwc ? (y * w + x) * c + ch : (ch * h + y) * w + x }
        var mean = [Float](repeating: 0, count: c)
        for ch in 0..<c {
            var s = 0.0
            for y in 0..<h { for x in 0..<w { s += Double(sample[index(y, x, ch)]) } }
            mean[ch] = Float(s / Double(h * w))
        }
        // Sample 0 is the original; sample 1 + r·grid + q has cell (r, q) filled.
        var samples = [sample]
        for r in 0..<grid {
            for q in 0..<grid {
                var s = sample
                for y in (r * h / grid)..<((r + 1) * h / grid) {
                    for x in (q * w / grid)..<((q + 1) * w / grid) {
                        for ch in 0..<c { s[index(y, x, ch)] = mean[ch] }
                    }
                }
                samples.append(s)
            }
        }
        var probabilities: [Double] = []
        for start in stride(from: 0, to: samples.count, by: Self.occlusionBatch) {
            let chunk = samples[start..<min(start + Self.occlusionBatch, samples.count)]
            let outputs: [String: Tensor]
            do {
                let batch = try Tensor(shape: [chunk.count] + preprocessor.sampleShape, values: chunk.flatMap { $0 })
                outputs = try model.run([preprocessor.input.name: batch])
            } catch {
                throw .engine("occlusion: \(error)")
            }
            guard let t = outputs[spec.name], t.count == chunk.count * spec.labels.count else {
                throw .engine("occlusion: output \(spec.name) is missing or has the wrong size")
            }
            let all = t.floats()
            let k = spec.labels.count
            for i in 0..<chunk.count {
                probabilities.append(Self.activate(all[(i * k)..<((i + 1) * k)].map(Double.init), spec.activation)[classIndex])
            }
        }
        return probabilities.dropFirst().map { probabilities[0] - $0 }
    }
}
