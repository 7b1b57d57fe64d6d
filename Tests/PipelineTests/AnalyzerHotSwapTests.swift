import Core
import Annotations
import Engine
import Foundation
import Models
import Pipeline
import Synchronization
import TestSupport
import Testing

/// Hot-swap under analysis, through the Analyzer: one task analyses without pause, each time on the
/// repository's active version, while the test adds version 2 (another tiny model: other weights, four
/// classes instead of three) and activates it. No analysis may fail, and every report must name the
/// version and SHA-256 whose plan produced it (its number of findings shows which plan ran).
@Suite(.onComputeThreads) struct AnalyzerHotSwapTests {
    /// What the analysing thread produced so far, and the stop signal.
    final class Progress: Sendable {
        let reports = Mutex<[Report]>([])
        let failures = Mutex<[String]>([])
        let stop = Atomic<Bool>(false)
        let finished = DispatchSemaphore(value: 0)

        func count(_ version: String) -> Int { reports.withLock { $0.filter { String($0.model.version) == version }.count } }
    }

    /// Waits (polling) until `condition` holds; false after `seconds` (generous: only a hang should hit it,
    /// not a machine busy with the other tests).
    static func wait(seconds: Double = 600, _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            usleep(2000)
        }
        return true
    }

    @Test func analysingWhileANewVersionIsActivated() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("medinfer-hotswap-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let root = base.appendingPathComponent("Models")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        #expect(try FixtureModel.addVersion(root: root, "opset7") == 1)
        let repo = ModelRepository(root: root, options: CompileOptions(threads: 1))
        repo.reload()
        try repo.activate("tiny", version: 1)  // pinned: a newly verified version waits for activation
        let sha = ["1": try FileChecksum.sha256(of: FixtureModel.modelURL("opset7")),
                   "2": try FileChecksum.sha256(of: FixtureModel.modelURL("opset11"))]
        #expect(sha["1"] != sha["2"])
        let image = try FixtureModel.image("MR_small.dcm")
        let progress = Progress()

        // A thread of its own, not a task: it must keep analysing even when the test pool's threads are busy.
        let analysing = Thread {
            while !progress.stop.load(ordering: .acquiring) {
                guard let model = repo.active("tiny") else {
                    progress.failures.withLock { $0.append("no active version") }
                    continue
                }
                do {
                    let r = try Analyzer(model: model).analyze([AnalysisInput(image: image, path: "MR_small.dcm")])
                    progress.reports.withLock { $0 += r }
                } catch {
                    progress.failures.withLock { $0.append("\(error)") }
                }
            }
            progress.finished.signal()
        }
        analysing.start()
        defer { progress.stop.store(true, ordering: .releasing) }  // also when a `try` below throws
        var waited = Self.wait { progress.count("1") >= 5 }
        // Version 2 is written, verified (checksums, canary) and left waiting while analyses go on.
        #expect(try FixtureModel.addVersion(root: root, "opset11") == 2)
        let events = repo.reload()
        #expect(events == [.verified(name: "tiny", version: 2)], "\(events)")
        let before = progress.count("1")
        waited = Self.wait { progress.count("1") >= before + 3 } && waited
        #expect(progress.count("2") == 0)
        // The version serving when the swap happens: work started on it still finishes on it.
        let inFlight = try Analyzer(model: #require(repo.active("tiny")))
        let activation = try repo.activate("tiny", version: 2)
        #expect(activation == [.activated(name: "tiny", version: 2, previous: 1)])
        waited = Self.wait { progress.count("2") >= 5 } && waited
        progress.stop.store(true, ordering: .releasing)
        progress.finished.wait()
        let reports = progress.reports.withLock { $0 }, failures = progress.failures.withLock { $0 }
        #expect(waited, "timed out: \(progress.count("1")) reports of version 1, \(progress.count("2")) of version 2")

        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(Set(reports.map { String($0.model.version) }) == ["1", "2"])
        var seenTwo = false
        for r in reports {
            let classes = String(r.model.version) == "1" ? 3 : 4
            #expect(r.model.name == "tiny" && r.model.sha256 == sha[String(r.model.version)])
            #expect(r.findings.count == classes && Set(r.findings.map(\.label)) == Set((0..<classes).map { "label\($0)" }))
            seenTwo = seenTwo || String(r.model.version) == "2"
            #expect(!(seenTwo && String(r.model.version) == "1"), "a version 1 report after version 2 served")
        }
        // Same image, same plan: the same probabilities, whichever moment of the swap.
        for v in ["1", "2"] {
            #expect(Set(reports.filter { String($0.model.version) == v }.map { $0.findings.map(\.probability) }).count == 1)
        }
        let late = try inFlight.analyze([AnalysisInput(image: image)])
        #expect(late[0].model.version == 1 && late[0].model.sha256 == sha["1"] && late[0].findings.count == 3)
    }
}
