import Annotations
import Foundation
@testable import Inference
import JobQueue
import QueueTestSupport

extension TemporaryQueue {
    /// A report of image `index` with one finding per `(label, probability)`; positive at 0.5 and above.
    static func report(_ findings: [(String, Double)], index: Int = 0) -> Report {
        Report(job: nil, image: index, model: model,
               source: .init(format: "png", rows: 8, columns: 8, path: "img\(index).png"),
               preprocessing: .init(resize: "area 32x32", normalize: "x/255"),
               findings: findings.map { .init(label: $0.0, probability: $0.1, threshold: 0.5, positive: $0.1 >= 0.5) },
               overlays: [], warnings: [], engine: .init(version: "test", batchSize: 1, durationMs: 1),
               createdAt: "2026-01-01T00:00:00Z")
    }

    /// Submits a one-image job and runs it to `succeeded` with a report of `findings`, as a worker would.
    @discardableResult
    func succeededJob(_ findings: [(String, Double)] = [("a", 0.1)], priority: Int = 5) async throws -> String {
        try await succeededJob(artifact: Data(try Self.report(findings).jsonLine().utf8), priority: priority)
    }
}
