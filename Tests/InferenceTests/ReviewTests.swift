@testable import Inference
import Annotations
import Foundation
@testable import JobQueue
import QueueTestSupport
import Testing

/// `recordReview`, `reviews(for:)` and `worklist` on a temporary queue of every store (reports written as a worker does).
@Suite struct ReviewTests {
    @Test(arguments: TestQueueStores.kinds) func verdictsAreKeptAndTheLatestCounts(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let id = try await t.succeededJob([("a", 0.9)])
        await #expect(try t.queue.worklist().map(\.job.id) == [id])

        let first = try await t.queue.recordReview(job: id, agree: true, comment: "  ", reviewer: " Dr. Jones ")
        #expect(first.reviewer == "Dr. Jones" && first.comment == nil && first.agree)
        let second = try await t.queue.recordReview(job: id, agree: false, comment: "artefact at the apex", reviewer: "Dr. Smith")
        await #expect(try t.queue.reviews(for: id) == [first, second])
        await #expect(try t.queue.worklist().isEmpty)
        let all = try await t.queue.worklist(includeReviewed: true)
        #expect(all.map(\.job.id) == [id] && all.first?.latestReview == second)
        #expect(all.first?.positiveFindings == ["a"] && all.first?.topFinding?.probability == 0.9)
    }

    @Test(arguments: TestQueueStores.kinds) func onlySucceededJobsCanBeReviewed(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let queued = try await t.submit().job.id
        await #expect(throws: JobQueueError.notReviewable(id: queued, status: .queued)) {
            try await t.queue.recordReview(job: queued, agree: true, reviewer: "r")
        }
        let cancelled = try await t.submit().job.id
        try await t.queue.cancel(cancelled)
        await #expect(throws: JobQueueError.notReviewable(id: cancelled, status: .cancelled)) {
            try await t.queue.recordReview(job: cancelled, agree: true, reviewer: "r")
        }
        await #expect(throws: JobQueueError.notFound(id: "nope")) { try await t.queue.recordReview(job: "nope", agree: true, reviewer: "r") }
        await #expect(throws: JobQueueError.notFound(id: "nope")) { try await t.queue.reviews(for: "nope") }
        let done = try await t.succeededJob()
        await #expect(throws: JobQueueError.invalidArgument("the reviewer must have 1 to 200 characters")) {
            try await t.queue.recordReview(job: done, agree: true, reviewer: "  ")
        }
        await #expect(try t.queue.reviews(for: done).isEmpty)
    }

    /// Priority first (9 before 5), then jobs with a positive finding, then oldest first.
    @Test(arguments: TestQueueStores.kinds) func worklistOrder(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let oldNegative = try await t.succeededJob([("a", 0.2)])
        let oldPositive = try await t.succeededJob([("a", 0.2), ("b", 0.7)])
        let urgentNegative = try await t.succeededJob([("a", 0.1)], priority: 9)
        let newPositive = try await t.succeededJob([("c", 0.95)])
        let newNegative = try await t.succeededJob([("a", 0.4)])
        let low = try await t.succeededJob([("a", 0.99)], priority: 1)
        _ = try await t.submit(priority: 9)  // queued: not on the worklist
        let list = try await t.queue.worklist()
        #expect(list.map(\.job.id) == [urgentNegative, oldPositive, newPositive, oldNegative, newNegative, low])
        #expect(list[1].positiveFindings == ["b"] && list[1].topFinding?.label == "b")
    }
}
