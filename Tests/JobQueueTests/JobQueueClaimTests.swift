import Foundation
@testable import JobQueue
import QueueTestSupport
import Testing

/// Claims, batching decisions, retries, leases and recovery, on every store.
@Suite struct JobQueueClaimTests {
    @Test(arguments: TestQueueStores.kinds) func claimsByPriorityThenArrival(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let low = try await t.submit(priority: 1).job.id
        let urgent1 = try await t.submit(priority: 9).job.id
        let mid = try await t.submit(priority: 5).job.id
        let urgent2 = try await t.submit(priority: 9).job.id
        var order: [String] = []
        for _ in 0..<4 { await order += try t.claim(BatchPolicy(maxBatch: 1, maxDelay: .zero)).map(\.jobID) }
        #expect(order == [urgent1, urgent2, mid, low])
        await #expect(try t.queue.status(urgent1).status == .running)
    }

    @Test(arguments: TestQueueStores.kinds) func imagesOfAModelTheWorkerCannotServeStayQueued(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let id = try await t.submit().job.id
        await #expect(try t.queue.claim(TemporaryQueue.worker, policy: { _ in nil }) == .idle)
        await #expect(try t.queue.status(id).status == .queued)
        await #expect(try t.claim().count == 1)
    }

    @Test(arguments: TestQueueStores.kinds) func batchesAcrossJobsAndWaitsForMaxDelay(kind: QueueStoreKind) async throws {
        let clock = TestClock()
        let t = try await TemporaryQueue(kind, clock: clock)
        defer { t.remove() }
        let submitted = clock.now()
        try await t.submit(2)
        clock.advance(by: .seconds(1))
        try await t.submit(1)
        let patient = BatchPolicy(maxBatch: 4, maxDelay: .seconds(60))
        // Three of four: not full, not due: wait until the oldest has waited the delay.
        guard case .wait(let until) = try await t.queue.claim(TemporaryQueue.worker, policy: { _ in patient }) else {
            Issue.record("expected to wait")
            return
        }
        #expect(until == submitted + 60_000)
        try await t.submit(1)
        let batch = try await t.claim(patient)
        #expect(batch.count == 4 && Set(batch.map(\.jobID)).count == 3)
        await #expect(try t.queue.claim(TemporaryQueue.worker, policy: { _ in patient }) == .idle)
    }

    @Test(arguments: TestQueueStores.kinds) func transientFailuresBackOffThenGiveUpPermanentOnesFailAtOnce(kind: QueueStoreKind) async throws {
        let clock = TestClock()
        let t = try await TemporaryQueue(kind, clock: clock) { $0.maxAttempts = 2; $0.backoffBase = .milliseconds(100) }
        defer { t.remove() }
        let id = try await t.submit(2).job.id
        var batch = try await t.claim()
        try await t.queue.complete(TemporaryQueue.worker, [(batch[0], .failed("engine busy", permanent: false)),
                                                     (batch[1], .failed("cannot decode", permanent: true))])
        var job = try await t.queue.status(id)
        #expect(job.status == .running)  // one image final, one waiting to retry
        #expect(job.images[0].status == .queued && job.images[0].error == "engine busy")
        #expect(job.images[1].status == .failed && job.images[1].error == "cannot decode")
        guard case .wait = try await t.queue.claim(TemporaryQueue.worker, policy: { _ in TemporaryQueue.now }) else {
            Issue.record("expected the retry to wait for its backoff")
            return
        }
        clock.advance(by: .milliseconds(99))
        await #expect(try t.claim().isEmpty, "due only once its 100 ms backoff has passed")
        clock.advance(by: .milliseconds(1))
        batch = try await t.claim()
        #expect(batch.count == 1 && batch[0].index == 0)
        try await t.queue.complete(TemporaryQueue.worker, [(batch[0], .failed("engine busy", permanent: false))])
        job = try await t.queue.status(id)
        #expect(job.status == .failed && job.attempts == 2 && job.finishedAt != nil)
        #expect(job.images[0].error == "gave up after 2 attempts: engine busy")
        #expect(job.error == "2 of 2 images failed: image 0: gave up after 2 attempts: engine busy; image 1: cannot decode")
        #expect(t.queue.backoff(afterAttempt: 1) == 100 && t.queue.backoff(afterAttempt: 3) == 400)
    }

    @Test(arguments: TestQueueStores.kinds) func expiredLeaseGoesToAnotherWorkerAndTheFirstResultIsFencedOff(kind: QueueStoreKind) async throws {
        let clock = TestClock()
        let t = try await TemporaryQueue(kind, clock: clock) { $0.leaseDuration = .milliseconds(200) }
        defer { t.remove() }
        let id = try await t.submit().job.id
        let first = try await t.claim()
        #expect(first.count == 1)
        let other = WorkerIdentity(id: "other", host: "test-host", pid: 2)
        await #expect(try t.claim(as: other).isEmpty)
        clock.advance(by: .milliseconds(200))
        await #expect(try t.claim(as: other).isEmpty, "the lease holds until it has expired")
        clock.advance(by: .milliseconds(1))
        let second = try await t.claim(as: other)
        #expect(second == first)
        let blob = try t.queue.blobs.put(Data("report".utf8))
        let done = ImageOutcome.succeeded([Artifact(name: "report.json", blob: blob, mediaType: "application/json")])
        await #expect(try t.queue.complete(TemporaryQueue.worker, [(first[0], done)]) == [false])
        await #expect(try t.queue.complete(other, [(second[0], done)]) == [true])
        let job = try await t.queue.status(id)
        #expect(job.status == .succeeded && job.attempts == 1)
        await #expect(try t.count("SELECT COUNT(*) AS n FROM artifacts") == 1)
    }

    @Test(arguments: TestQueueStores.kinds) func startUpTakesBackTheImagesOfADeadWorkerAtOnce(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let id = try await t.submit(3).job.id
        await #expect(try t.claim().count == 3)
        await #expect(try t.queue.reclaimAbandoned(host: "test-host", isAlive: { _ in true }) == 0)
        await #expect(try t.queue.reclaimAbandoned(host: "test-host", isAlive: { _ in false }) == 3)
        let job = try await t.queue.status(id)
        #expect(job.status == .queued && job.attempts == 0 && job.images.allSatisfy { $0.status == .queued })
        await #expect(try t.claim().count == 3)
    }

    @Test(arguments: TestQueueStores.kinds) func cancelOnlyWhileQueued(kind: QueueStoreKind) async throws {
        let t = try await TemporaryQueue(kind)
        defer { t.remove() }
        let queued = try await t.submit().job.id
        let running = try await t.submit(priority: 9).job.id
        _ = try await t.claim(BatchPolicy(maxBatch: 1, maxDelay: .zero))
        await #expect(throws: JobQueueError.notCancellable(id: running, status: .running)) { try await t.queue.cancel(running) }
        let job = try await t.queue.cancel(queued)
        #expect(job.status == .cancelled && job.images[0].status == .cancelled && job.finishedAt != nil)
        await #expect(try t.queue.claim(TemporaryQueue.worker, policy: { _ in TemporaryQueue.now }) == .idle)
    }

    @Test(arguments: TestQueueStores.kinds) func pruneRemovesOldFinishedJobsAndTheirFilesSweepRemovesOrphans(kind: QueueStoreKind) async throws {
        let clock = TestClock()
        let t = try await TemporaryQueue(kind, clock: clock)
        defer { t.remove() }
        let kept = try await t.submit(seed: "kept").job.id
        let old = try await t.submit(seed: "old").job.id
        try await t.queue.cancel(old)
        // Orphans: a blob no row names (a crash before its commit) and a temporary file.
        let orphan = try t.queue.blobs.put(Data("orphan".utf8))
        try Data("partial".utf8).write(to: t.blobs.tmp.appendingPathComponent("x.tmp"))
        #expect(t.files.blobs.count == 3 && t.files.temporary == 1)
        await #expect(try t.queue.prune(olderThan: .seconds(3600)) == PruneSummary(jobs: 0, files: 2))
        #expect(!t.files.blobs.contains(orphan.sha256) && t.files.temporary == 0)
        await #expect(try t.queue.prune(olderThan: .zero) == PruneSummary(jobs: 0, files: 0), "finished this very millisecond")
        clock.advance(by: .milliseconds(1))
        await #expect(try t.queue.prune(olderThan: .zero) == PruneSummary(jobs: 1, files: 1))
        await #expect(try t.queue.list().jobs.map(\.id) == [kept])
        #expect(t.files.blobs.count == 1)
        // An upload in progress holds the lock: the sweep waits for another day.
        let upload = try await t.queue.beginUpload()
        await #expect(try t.queue.sweep().skipped)
        _ = upload
    }
}
