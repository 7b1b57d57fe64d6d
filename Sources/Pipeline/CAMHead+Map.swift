public import Tensor

extension CAMHead {
    /// The class activation map of class `classIndex` for image `image` of `features` (the value named
    /// `feature`, [N, C, H, W] or [N, H, W, C] per `featureLayout`):
    /// `cam[h, w] = Σ_c W[k, c] · F[c, h, w]`, then ReLU and division by its maximum (`Heatmap.normalized`).
    /// The map has the feature map's H × W cells; `Heatmap.resized` brings it to the source geometry.
    /// - Throws: `.engine` when the tensor's rank, channels or batch do not fit the head.
    public func map(features: Tensor, image: Int, classIndex k: Int, label: String) throws(PipelineError) -> Heatmap {
        let s = features.shape
        guard s.count == 4 else {
            throw .engine("feature map '\(feature)' has shape \(s); a class activation map needs rank 4")
        }
        let (c, h, w) = featureLayout == .nchw ? (s[1], s[2], s[3]) : (s[3], s[1], s[2])
        guard c == channels else {
            throw .engine("feature map '\(feature)' has \(c) channels, the linear layer reads \(channels)")
        }
        guard (0..<s[0]).contains(image), (0..<classes).contains(k) else {
            throw .engine("class activation map of image \(image), class \(k): the batch has \(s[0]) images, \(classes) classes")
        }
        let f = features.floats()
        let plane = h * w
        let base = image * c * plane
        let row = weights[(k * channels)..<((k + 1) * channels)].map(Double.init)
        var cam = [Double](repeating: 0, count: plane)
        for p in 0..<plane {
            var sum = 0.0
            for ch in 0..<c {
                let x = featureLayout == .nchw ? f[base + ch * plane + p] : f[base + p * c + ch]
                sum += row[ch] * Double(x)
            }
            cam[p] = sum
        }
        return Heatmap(method: .cam, label: label, width: w, height: h, values: Heatmap.normalized(cam))
    }
}
