import Foundation
import JobQueue
import QueueTestSupport
import Testing

/// A disk that refuses bytes (ENOSPC on write or on fsync/rename) refuses the submission with `.storage`
/// and loses nothing: no job row, no audit row, and the queue works again once space is back.
@Suite struct FullDiskTests {
    @Test(arguments: [FaultyBlobStore.Fault.write, .commit])
    func aRefusedWriteCreatesNoJobAndTheQueueRecovers(fault: FaultyBlobStore.Fault) async throws {
        let t = try await TemporaryQueue(.memory)
        defer { t.remove() }
        let faulty = FaultyBlobStore(base: t.blobs)
        let queue = JobQueue(store: t.queue.store, blobs: faulty, configuration: t.queue.configuration)
        let image = [(name: String?.some("a.png"), data: Data("image bytes".utf8))]
        faulty.arm(fault)
        do {
            _ = try await queue.submit(image, model: TemporaryQueue.model)
            Issue.record("a submission whose bytes the disk refused was accepted")
        } catch {
            guard case .storage(_, let reason) = error else { Issue.record("expected .storage, got \(error)"); return }
            #expect(reason.contains("No space left on device"), "\(reason)")
        }
        #expect(try await queue.list().jobs.isEmpty)
        #expect(try await queue.audit.list().isEmpty)
        faulty.disarm(fault)
        let accepted = try await queue.submit(image, model: TemporaryQueue.model)
        #expect(accepted.created && accepted.job.status == .queued)
        #expect(try await queue.blob(try #require(try await queue.imageBlobs(job: accepted.job.id)[0])) == Data("image bytes".utf8))
    }
}
