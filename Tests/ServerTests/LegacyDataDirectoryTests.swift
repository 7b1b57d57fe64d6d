import Annotations
import Core
import Foundation
import Inference
import JobQueue
@testable import Server
import TestSupport
import Testing

/// A data directory written by an earlier release (`Tests/Fixtures/legacy-data-ed350ae`, made by
/// `Scripts/make-legacy-data-dir.sh` with that commit's own binary) opens with today's code: the named
/// migrations bring it forward in place, and everything it held reads as it did.
@Suite struct LegacyDataDirectoryTests {
    struct Jobs: Decodable {
        var commit: String
        var succeeded: String
        var queued: String
    }

    /// A scratch copy of the fixture (opening it migrates it: the committed files stay as the old release
    /// wrote them).
    static func copy() throws -> (folder: URL, jobs: Jobs, key: String) {
        let fixture = Fixtures.url("legacy-data-ed350ae")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-legacy-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: fixture.appendingPathComponent("data"), to: folder)
        let jobs = try JSONDecoder().decode(Jobs.self, from: Data(contentsOf: fixture.appendingPathComponent("jobs.json")))
        let key = try String(contentsOf: fixture.appendingPathComponent("key.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return (folder, jobs, key)
    }

    @Test func anOldDataDirectoryMigratesInPlaceAndReadsAsBefore() async throws {
        let (folder, jobs, key) = try Self.copy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let queue = try await openQueue(QueueLocation(dataDirectory: folder))

        // Jobs, their states and reports, as the old worker recorded them.
        let done = try await queue.status(jobs.succeeded)
        #expect(done.status == .succeeded && done.images.count == 2 && done.images.allSatisfy { $0.status == .succeeded })
        #expect(try await queue.status(jobs.queued).status == .queued)
        let result = try await queue.result(jobs.succeeded)
        #expect(result.reports.count == 2)
        #expect(result.reports.allSatisfy { $0.model.name == "brain-mri-tumor" && $0.model.version == done.model.version })
        // Old reports stored the overlay's URL, today's its artifact name: both are served at the route.
        for report in result.reports where !report.overlays.isEmpty {
            #expect(report.servingOverlays().overlays.map(\.path) == [Report.overlayPath(job: jobs.succeeded, image: report.image)])
        }

        // The review, the key (now the server's own table) and the job's owner-less history.
        let reviews = try await queue.reviews(for: jobs.succeeded)
        #expect(reviews.map(\.reviewer) == ["dr-legacy"] && reviews.first?.agree == true)
        let keys = APIKeyStore(queue: queue)
        #expect(try await keys.authenticate(key)?.name == "legacy-router")

        // The hash chain the old release wrote still verifies, and goes on from where it stopped.
        let before = try await queue.audit.verify()
        #expect(before.problem == nil && before.rows > 0)

        // A job finished before results kept their SR gets it on first request, then always the same bytes.
        let first = try await queue.structuredReport(job: jobs.succeeded)
        let second = try await queue.structuredReport(job: jobs.succeeded)
        #expect(first == second && first.count > 132)
        let after = try await queue.audit.verify()
        #expect(after.problem == nil && after.rows > before.rows)
    }

    @Test func openingTwiceChangesNothingMore() async throws {
        let (folder, jobs, _) = try Self.copy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let once = try await openQueue(QueueLocation(dataDirectory: folder))
        let rows = try await once.audit.verify().rows
        let again = try await openQueue(QueueLocation(dataDirectory: folder))
        #expect(try await again.audit.verify().rows == rows)
        #expect(try await again.status(jobs.succeeded).status == .succeeded)
    }
}
