import Crypto
import Foundation
import JobQueue
import QueueTestSupport
import Testing

/// Items of several inputs (`QueueItem`, the shape a series will take): stored, claimed, kept and
/// deduplicated as one unit, on every store.
@Suite struct QueueItemTests {
    static func sha(_ text: String) -> String { SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined() }

    static func item(_ queue: JobQueue, _ names: [String]) async throws -> QueueItem {
        var parts: [ImageUpload] = []
        for name in names {
            let upload = try await queue.beginUpload(name: name)
            try await upload.write(Data(name.utf8))
            parts.append(upload)
        }
        return QueueItem(parts)
    }

    @Test(arguments: TestQueueStores.kinds) func anItemIsClaimedWithEveryInputInOrder(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let series = try await Self.item(t.queue, ["slice-1", "slice-2", "slice-3"])
        let single = try await Self.item(t.queue, ["single"])
        let submission = try await t.queue.submit(items: [series, single], model: TemporaryQueue.model)
        #expect(submission.job.images.map(\.name) == ["slice-1", "single"])
        let claimed = try await t.claim().sorted { $0.index < $1.index }
        #expect(claimed.map(\.blobs) == [["slice-1", "slice-2", "slice-3"].map(Self.sha), [Self.sha("single")]])
        #expect(claimed.map(\.blob) == [Self.sha("slice-1"), Self.sha("single")])
        // The sweep keeps every input an item references.
        _ = try await t.queue.sweep()
        for blob in claimed.flatMap(\.blobs) { #expect(t.files.blobs.contains(blob)) }
        #expect(try await t.count("SELECT COUNT(*) AS n FROM image_parts") == 2)
    }

    @Test(arguments: TestQueueStores.kinds) func idempotencyComparesEveryInputOfEveryItem(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let first = try await t.queue.submit(items: [try await Self.item(t.queue, ["a", "b"])], model: TemporaryQueue.model,
                                             idempotencyKey: "k")
        let again = try await t.queue.submit(items: [try await Self.item(t.queue, ["a", "b"])], model: TemporaryQueue.model,
                                             idempotencyKey: "k")
        #expect(again.job.id == first.job.id && !again.created)
        await #expect(throws: JobQueueError.idempotencyConflict(key: "k", job: first.job.id)) {
            try await t.queue.submit(items: [try await Self.item(t.queue, ["b", "a"])], model: TemporaryQueue.model, idempotencyKey: "k")
        }
        // One item of two inputs is not two items of one.
        await #expect(throws: JobQueueError.idempotencyConflict(key: "k", job: first.job.id)) {
            try await t.queue.submit([(name: "a", data: Data("a".utf8)), (name: "b", data: Data("b".utf8))],
                                     model: TemporaryQueue.model, idempotencyKey: "k")
        }
    }

    @Test(arguments: TestQueueStores.kinds) func capacityCountsItemsNotInputs(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind) { $0.maxQueuedImages = 2 }
        defer { t.remove() }
        _ = try await t.queue.submit(items: [try await Self.item(t.queue, ["1", "2", "3"]), try await Self.item(t.queue, ["4"])],
                                     model: TemporaryQueue.model)
        await #expect {
            try await t.queue.submit(items: [try await Self.item(t.queue, ["5"])], model: TemporaryQueue.model)
        } throws: { error in
            if case JobQueueError.queueFull(let queued, let limit, _) = error { return queued == 2 && limit == 2 }
            return false
        }
    }

    @Test func anItemWithoutInputsIsRefused() async throws {
        let t = try await TemporaryQueue(.memory)
        defer { t.remove() }
        await #expect(throws: JobQueueError.invalidArgument("item 1 has no input")) {
            try await t.queue.submit(items: [try await Self.item(t.queue, ["x"]), QueueItem([])], model: TemporaryQueue.model)
        }
    }
}
