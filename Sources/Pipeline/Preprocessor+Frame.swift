public import Imaging
import Models

extension Preprocessor {
    /// The frame of `image` the manifest's `preprocessing.frame` chooses: an index (default 0) or the
    /// middle one (`count / 2`). A frame the image does not have is refused rather than clamped: a
    /// different frame is a different picture.
    public func frameIndex(in image: DecodedImage) throws(PipelineError) -> Int {
        let count = image.numberOfFrames
        switch manifest.preprocessing?.frame ?? .index(0) {
        case .middle:
            return count / 2
        case .index(let i):
            guard i < count else { throw .frameOutOfRange(frame: i, count: count) }
            return i
        }
    }
}
