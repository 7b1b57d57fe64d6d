import Foundation
import Models
import Tensor
import TestSupport
import Testing

/// `unload` takes a model out of service until `load`, which verifies from disk first.
@Suite(.onComputeThreads) struct ModelRepositoryUnloadTests {
    @Test func unloadStopsServingAndLoadVerifiesAgain() throws {
        let f = try RepositoryFixture()
        defer { f.remove() }
        try f.writeVersion("tiny", 1)
        let repo = ModelRepository(root: f.root)
        repo.reload()
        let held = try #require(repo.active("tiny"))

        #expect(try repo.unload("tiny") == [.deactivated(name: "tiny", previous: 1)])
        #expect(repo.active("tiny") == nil && repo.model("tiny", version: 1) == nil && repo.isUnloaded("tiny"))
        let status = try #require(repo.models().first)
        #expect(status.unloaded && status.active == nil)
        // Work already holding the version finishes on it.
        #expect(try ModelRepositoryTests.answers(held))
        // Reloads (the worker's periodic ones) and new versions do not bring it back.
        try f.writeVersion("tiny", 2)
        #expect(repo.reload() == [.verified(name: "tiny", version: 2)])
        #expect(repo.active("tiny") == nil)
        #expect(throws: ModelsError.unknownModel(name: "nope")) { try repo.unload("nope") }

        // Load verifies what changed on disk, then serves the highest verified version.
        try f.writeVersion("tiny", 3)
        #expect(repo.load("tiny") == [.verified(name: "tiny", version: 3), .activated(name: "tiny", version: 3, previous: nil)])
        #expect(!repo.isUnloaded("tiny") && repo.active("tiny")?.version == 3 && repo.model("tiny", version: 1) != nil)
    }
}
