import JobQueue
public import Annotations
import Inference

extension Report {
    /// The route that serves an image's stored overlay: the one place its URL is made. Reports store the
    /// artifact's name (`overlay.png`), never a URL, so a route can move without rewriting stored results.
    public static func overlayPath(job: String, image: Int) -> String {
        "/v1/jobs/\(job)/images/\(image)/\(Artifact.overlayName)"
    }

    /// The report as the API serves it: every overlay that names a stored artifact gets the path of the
    /// route serving it. (Reports stored before results named their artifacts already hold that path.)
    public func servingOverlays() -> Report {
        guard let job, overlays.contains(where: { !$0.path.hasPrefix("/") }) else { return self }
        var served = self
        for i in served.overlays.indices where !served.overlays[i].path.hasPrefix("/") {
            served.overlays[i].path = Self.overlayPath(job: job, image: image)
        }
        return served
    }
}
