@testable import Inference
import Annotations
import Foundation
import Imaging
@testable import JobQueue
import QueueTestSupport
import Models
import TestSupport
import Testing

extension WorkerSuites {
/// The worker stores each image's heatmap or mask overlay beside its report, and lists it in the report.
@Suite struct WorkerOverlayTests {
    @Test(arguments: TestQueueStores.kinds) func heatmapAndMaskOverlaysAreStoredAndListed(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        // A copy: the repository is a folder the test may not write to in place.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-overlay-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.url("tiny-models"), to: root)
        defer { t.remove(); try? FileManager.default.removeItem(at: root) }
        let models = ModelRepository(root: root)
        models.reload()
        let png = Fixtures.url("png/gray8.png")
        let source = try Imaging.decode(try Data(contentsOf: png))
        var jobs: [(id: String, kind: String)] = []
        for (name, kind) in [("tiny-classifier", "heatmap"), ("tiny-segmenter", "mask")] {
            let model = try #require(models.active(name))
            let id = try await t.queue.submit([(name: "gray8.png", data: try Data(contentsOf: png))], model: model.ref).job.id
            jobs.append((id, kind))
        }
        var options = Worker.Options()
        options.once = true
        let summary = try await Worker(queue: t.queue, models: models, options: options).run()
        #expect(summary.succeeded == 2, "\(summary)")

        for (id, kind) in jobs {
            let report = try await #require(try t.queue.result(id).reports.first)
            // The stored report names the artifact; the server makes the URL when it serves (never stored).
            #expect(report.overlays == [Report.Overlay(kind: kind, path: "overlay.png")])
            let stored = try await t.queue.artifact(job: id, image: 0, name: "overlay.png")
            #expect(stored.mediaType == "image/png")
            let overlay = try Imaging.decode(stored.data)
            #expect(overlay.rows == source.rows && overlay.columns == source.columns)
        }
    }

    @Test(arguments: TestQueueStores.kinds) func modelWithoutHeatmapGetsNoOverlayAndNoWarning(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        let repo = try TinyModelRepository(heatmap: "none")
        defer { t.remove(); repo.remove() }
        let models = ModelRepository(root: repo.root)
        models.reload()
        let model = try #require(models.active(TinyModelRepository.name))
        let id = try await t.queue.submit(try WorkerTests.images(1), model: model.ref).job.id
        var options = Worker.Options()
        options.once = true
        _ = try await Worker(queue: t.queue, models: models, options: options).run()
        let report = try await #require(try t.queue.result(id).reports.first)
        #expect(report.overlays.isEmpty)
        #expect(!report.warnings.contains { $0.hasPrefix("no heatmap") }, "\(report.warnings)")
        await #expect(throws: JobQueueError.self) { try await t.queue.artifact(job: id, image: 0, name: "overlay.png") }
    }
}
}
