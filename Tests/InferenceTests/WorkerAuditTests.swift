@testable import Inference
import Foundation
@testable import JobQueue
import QueueTestSupport
import Models
import TestSupport
import Testing

/// With `Options.auditModelEvents` (the server's workers), what the worker's repository reloads find is
/// appended to the audit trail; without it (`medinfer worker`), nothing is.
@Suite struct WorkerAuditTests {
    @Test(arguments: TestQueueStores.kinds) func reloadsAreAuditedOnlyWhenAsked(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        let repo = try TinyModelRepository()
        defer { t.remove(); repo.remove() }
        var options = Worker.Options()
        options.once = true
        _ = try await Worker(queue: t.queue, models: ModelRepository(root: repo.root), options: options).run()
        let none = try await t.queue.audit.list()
        #expect(none.isEmpty)

        options.auditModelEvents = true
        let models = ModelRepository(root: repo.root)
        _ = try await Worker(queue: t.queue, models: models, options: options).run()
        var rows = try await t.queue.audit.list()
        #expect(rows.map(\.kind) == [.modelActivated] && rows.first?.subject == "tiny:1", "\(rows)")
        #expect(rows.first?.details["trigger"] == "worker reload" && rows.first?.details["sha256"] == models.active("tiny")?.sha256)

        // A new version picked up by a later reload is recorded; a restart finding the same state is not.
        _ = try ModelRepository.addVersion(root: repo.root, modelFile: repo.root.appendingPathComponent("tiny/1/model.onnx"),
                                           name: "tiny", manifest: repo.root.appendingPathComponent("tiny/1/model.json"))
        await Worker(queue: t.queue, models: models, options: options).reloadModels()
        _ = try await Worker(queue: t.queue, models: ModelRepository(root: repo.root), options: options).run()
        rows = try await t.queue.audit.list()
        #expect(rows.map(\.subject) == ["tiny:1", "tiny:2"] && rows.last?.details["previous"] == "1", "\(rows)")
        let verification = try await t.queue.audit.verify()
        #expect(verification.problem == nil)
    }
}
