import DICOM
import DICOMNetwork
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Intake
import JobQueue
@testable import Server
import TestSupport
import Testing

/// The DICOM listener of the server with real peers (dcmtk's echoscu, storescu, dcmodify) and the real
/// queue: a study sent on one association becomes one job that runs; a refused instance gets 0xC000; a
/// peer not on the allow-list is rejected; an association aborted mid-transfer leaves no job and no file.
@Suite(.serialized, .onIOThreads) struct DICOMIntakeTests {
    static func tool(_ name: String) throws -> String { try #require(dcmtkTool(name), "\(dcmtkMissing) (\(name) not found)") }

    /// Quiet period 0 unless given: each association's study is a job at A-RELEASE.
    static func makeServer(quietPeriodMs: Int = 0, workers: Int = 1) async throws -> TestServer {
        try await TestServer(workers: workers) { c in
            c.aeTitle = "MEDINFER"
            c.dicomAllow = ["STORESCU@127.0.0.1", "ECHOSCU", "RAWSCU"]
            c.dicomQuietPeriodMs = quietPeriodMs
        }
    }

    static func common(_ port: Int) -> [String] {
        ["-aec", "MEDINFER", "-to", "120", "-ta", "120", "-td", "120", "127.0.0.1", "\(port)"]
    }

    /// The queue's jobs once there are at least `count` (bounded: 120 s).
    static func jobs(atLeast count: Int, in server: TestServer) async throws -> [JobStatus] {
        for _ in 0..<1200 {
            let jobs = try await server.services.queue.list().jobs
            if jobs.count >= count { return jobs }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await server.services.queue.list().jobs
    }

    static func spoolEntries(_ server: TestServer) -> [String] {
        let spool = server.services.configuration.dataDirectory.appendingPathComponent("dicom-spool")
        return (try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []
    }

    /// The spool's entries once it is empty (the job is visible a moment before its folder is removed;
    /// bounded: 60 s).
    static func spoolEntriesSettled(_ server: TestServer) async throws -> [String] {
        for _ in 0..<600 where !spoolEntries(server).isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        return spoolEntries(server)
    }

    /// Runs `body` with the server's HTTP app (workers included) and its DICOM listener on a free port.
    static func withServer(_ server: TestServer, _ body: @escaping @Sendable (any TestClientProtocol, Int) async throws -> Void) async throws {
        let listener = try await makeDICOMListener(server.services, port: 0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await listener.run() }
            do {
                try await server.live { client in try await body(client, listener.port) }
            } catch {
                await listener.close()
                group.cancelAll()
                throw error
            }
            await listener.close()
            group.cancelAll()
        }
    }

    /// `count` copies of CT_small with new SOP Instance UIDs: one study, several instances.
    static func studyCopies(_ count: Int, in folder: URL) async throws -> [String] {
        let dcmodify = try tool("dcmodify")
        let source = Fixtures.packageRoot.appendingPathComponent("SampleImages/CT_small.dcm")
        var paths: [String] = []
        for i in 0..<count {
            let copy = folder.appendingPathComponent("ct\(i).dcm")
            try FileManager.default.copyItem(at: source, to: copy)
            let result = try await runProcess(dcmodify, ["-nb", "-gin", copy.path])
            #expect(result.status == 0, "\(result.output)")
            paths.append(copy.path)
        }
        return paths
    }

    @Test func storescuStudyBecomesOneJobWithResults() async throws {
        let storescu = try Self.tool("storescu"), echoscu = try Self.tool("echoscu")
        let server = try await Self.makeServer()
        defer { server.remove() }
        let files = try await Self.studyCopies(3, in: server.folder)
        let refused = Fixtures.url("dicom/JPEG2000-embedded-sequence-delimiter.dcm").path
        let key = server.admin
        try await Self.withServer(server) { client, port in
            let common = ["-aec", "MEDINFER", "-to", "120", "-ta", "120", "-td", "120", "127.0.0.1", "\(port)"]
            let echo = try await runProcess(echoscu, ["-aet", "ECHOSCU"] + common)
            #expect(echo.status == 0, "\(echo.output)")
            let store = try await runProcess(storescu, ["-v", "-aet", "STORESCU"] + common + files)
            #expect(store.status == 0, "\(store.output)")
            #expect(store.output.components(separatedBy: "Received Store Response (Success)").count == 4, "\(store.output)")
            // Pixel data our decoder refuses: the peer gets 0xC000, no job is made of it.
            let bad = try await runProcess(storescu, ["-v", "-xw", "-aet", "STORESCU"] + common + [refused])
            #expect(bad.output.contains("Store Response (Error: CannotUnderstand)"), "\(bad.output)")
            // Not on the allow-list.
            let intruder = try await runProcess(echoscu, ["-aet", "INTRUDER"] + common)
            #expect(intruder.status != 0)
            #expect(intruder.output.contains("Calling AE Title Not Recognized"), "\(intruder.output)")

            let jobs = try await server.services.queue.list().jobs
            #expect(jobs.count == 1)
            let id = try #require(jobs.first?.id)
            let job = try await client.waitForJob(id, key: key)
            #expect(job["status"] as? String == "succeeded")
            #expect((job["images"] as? [Any])?.count == 3)
            let metrics = String(buffer: try await client.call("/metrics", .get, key: nil).body)
            #expect(metrics.contains("medinfer_dicom_associations_total{outcome=\"rejected\"} 1"), "\(metrics)")
            #expect(metrics.contains("medinfer_dicom_instances_total{status=\"0000\"} 3"))
            #expect(metrics.contains("medinfer_dicom_instances_total{status=\"c000\"} 1"))
        }
        let audit = try await server.services.queue.audit.list().filter { $0.kind.rawValue == "dicom.association" }
        #expect(audit.contains { $0.details["outcome"] == "rejected" && $0.subject == "INTRUDER" })
        #expect(audit.contains { $0.details["outcome"] == "job" && $0.details["instances"] == "3" })
        let spool = server.services.configuration.dataDirectory.appendingPathComponent("dicom-spool")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).isEmpty)
    }

    @Test func abortMidTransferLeavesNoJobAndNoFile() async throws {
        let server = try await TestServer(workers: 0) { c in c.dicomAllow = ["RAWSCU"] }
        defer { server.remove() }
        let file = try DICOMParser.parse(Data(contentsOf: Fixtures.packageRoot.appendingPathComponent("SampleImages/CT_small.dcm")))
        let dataSet = [UInt8](try DICOMWriter.encode(file.dataSet))
        let sopClass = try #require(file.dataSet.string(.sopClassUID)), sopInstance = try #require(file.dataSet.string(.sopInstanceUID))
        let spool = server.services.configuration.dataDirectory.appendingPathComponent("dicom-spool")
        try await Self.withServer(server) { _, port in
            try await DICOMConnection.withConnection(host: "127.0.0.1", port: port, timeout: .seconds(300)) { c in
                try await c.associate(AssociateRequest(
                    calledAETitle: "MEDINFER", callingAETitle: "RAWSCU",
                    presentationContexts: [.init(id: 1, abstractSyntax: sopClass, transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid])],
                    userInformation: .init(maxPDULength: 16384)))
                // One whole instance: Success, so it is on disk...
                let rsp = try await c.store(contextID: 1, sopClass: sopClass, sopInstance: sopInstance, dataSet: dataSet)
                #expect(rsp.uint16(DIMSECommand.status) == DIMSEStatus.success)
                #expect(((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).count == 1)
                // ...then half of the next one, and the socket closes.
                let command = DIMSECommand.storeRequest(messageID: 2, sopClass: sopClass, sopInstance: sopInstance + ".2")
                try await c.send(.data([PDV(contextID: 1, isCommand: true, isLast: true, data: command.encoded())]))
                try await c.send(.data([PDV(contextID: 1, isCommand: false, isLast: false, data: Array(dataSet.prefix(1000)))]))
                await c.close()
            }
            for _ in 0..<6000 {
                if ((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).isEmpty { break }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).isEmpty)
        await #expect(try server.services.queue.list().jobs.isEmpty)
        let audit = try await server.services.queue.audit.list().filter { $0.kind.rawValue == "dicom.association" }
        #expect(audit.contains { $0.details["outcome"] == "aborted" && $0.details["discarded"] == "1" })
    }

    @Test func dicomEchoCommandTalksToTheListener() async throws {
        let server = try await TestServer(workers: 0)
        defer { server.remove() }
        try await Self.withServer(server) { (_: any TestClientProtocol, port: Int) async throws in
            #expect(try await DICOMConnection.echo(host: "127.0.0.1", port: port, callingAETitle: "ANY", calledAETitle: "MEDINFER", timeout: .seconds(300)) == 0)
            await #expect(throws: DICOMClientError.rejected(.calledAETitleNotRecognized)) {
                try await DICOMConnection.echo(host: "127.0.0.1", port: port, callingAETitle: "ANY", calledAETitle: "NOTUS", timeout: .seconds(300))
            }
        }
    }

    /// Instances answered Success before a crash are in the spool: the next start makes their job.
    @Test func spoolLeftByACrashBecomesAJobAtStart() async throws {
        let server = try await TestServer(workers: 0)
        defer { server.remove() }
        let folder = server.services.configuration.dataDirectory.appendingPathComponent("dicom-spool/crashed-association")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ct = Fixtures.packageRoot.appendingPathComponent("SampleImages/CT_small.dcm")
        try FileManager.default.copyItem(at: ct, to: folder.appendingPathComponent("1.dcm"))
        try Data().write(to: folder.appendingPathComponent("model"))
        let listener = try await makeDICOMListener(server.services, port: 0)
        await listener.close()
        let jobs = try await server.services.queue.list().jobs
        #expect(jobs.count == 1)
        #expect(jobs.first?.images.count == 1)
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }

    /// Two storescu runs of one study within the quiet period (10 s, so a loaded machine cannot split
    /// them): one job with both instances, once the study has been quiet.
    @Test func studyOverTwoAssociationsWithinTheQuietPeriodIsOneJob() async throws {
        let storescu = try Self.tool("storescu")
        let server = try await Self.makeServer(quietPeriodMs: 10_000, workers: 0)
        defer { server.remove() }
        let files = try await Self.studyCopies(3, in: server.folder)
        try await Self.withServer(server) { _, port in
            let first = try await runProcess(storescu, ["-aet", "STORESCU"] + Self.common(port) + [files[0]])
            #expect(first.status == 0, "\(first.output)")
            let second = try await runProcess(storescu, ["-aet", "STORESCU"] + Self.common(port) + [files[1], files[2]])
            #expect(second.status == 0, "\(second.output)")
            let jobs = try await Self.jobs(atLeast: 1, in: server)
            #expect(jobs.count == 1)
            #expect(jobs.first?.images.count == 3)
        }
        await #expect(try server.services.queue.list().jobs.count == 1)
        #expect(try await Self.spoolEntriesSettled(server).isEmpty)
        let audit = try await server.services.queue.audit.list().filter { $0.kind.rawValue == "dicom.association" }
        #expect(audit.contains { $0.details["outcome"] == "job" && $0.details["instances"] == "3" })
    }

    /// After the quiet period has elapsed a later association of the same study is a job of its own; with
    /// a quiet period of 0 each association is a job at once.
    @Test(arguments: [0, 200]) func associationsAfterTheQuietPeriodAreSeparateJobs(quietPeriodMs: Int) async throws {
        let storescu = try Self.tool("storescu")
        let server = try await Self.makeServer(quietPeriodMs: quietPeriodMs, workers: 0)
        defer { server.remove() }
        let files = try await Self.studyCopies(2, in: server.folder)
        try await Self.withServer(server) { _, port in
            let first = try await runProcess(storescu, ["-aet", "STORESCU"] + Self.common(port) + [files[0]])
            #expect(first.status == 0, "\(first.output)")
            #expect(try await Self.jobs(atLeast: 1, in: server).count == 1)
            let second = try await runProcess(storescu, ["-aet", "STORESCU"] + Self.common(port) + [files[1]])
            #expect(second.status == 0, "\(second.output)")
            let jobs = try await Self.jobs(atLeast: 2, in: server)
            #expect(jobs.count == 2)
            #expect(jobs.allSatisfy { $0.images.count == 1 })
        }
        #expect(try await Self.spoolEntriesSettled(server).isEmpty)
    }

    /// A pending study left by a crash (its quiet period never ran out) becomes one job at the next start,
    /// beside an association folder of the same run.
    @Test func pendingStudyLeftByACrashBecomesAJobAtStart() async throws {
        let server = try await TestServer(workers: 0) { c in c.dicomQuietPeriodMs = 60_000 }
        defer { server.remove() }
        let spool = server.services.configuration.dataDirectory.appendingPathComponent("dicom-spool")
        let files = try await Self.studyCopies(3, in: server.folder)
        let pending = spool.appendingPathComponent("studies/1.2.3-0123456789abcdef")
        let association = spool.appendingPathComponent("crashed-association")
        for folder in [pending, association] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data().write(to: folder.appendingPathComponent("model"))
        }
        try FileManager.default.copyItem(atPath: files[0], toPath: pending.appendingPathComponent("1.dcm").path)
        try FileManager.default.copyItem(atPath: files[1], toPath: pending.appendingPathComponent("2.dcm").path)
        try FileManager.default.copyItem(atPath: files[2], toPath: association.appendingPathComponent("1.dcm").path)
        let listener = try await makeDICOMListener(server.services, port: 0)
        await listener.close()
        let jobs = try await server.services.queue.list().jobs
        #expect(jobs.count == 2)
        #expect(jobs.map(\.images.count).sorted() == [1, 2])
        #expect(Self.spoolEntries(server).isEmpty, "\(Self.spoolEntries(server))")
    }

    /// The pending folder's name: the UID when it is one, a hash otherwise; the model is part of it.
    @Test func studyKeySeparatesModelsAndSanitisesTheUID() {
        let a = DICOMIntake.studyKey(study: "1.2.840.1", reference: "")
        #expect(a.hasPrefix("1.2.840.1-"))
        #expect(a != DICOMIntake.studyKey(study: "1.2.840.1", reference: "chest-xray"))
        let odd = DICOMIntake.studyKey(study: "../../etc", reference: "")
        #expect(!odd.contains("/") && !odd.contains(".."))
    }

    @Test func quietPeriodComesFromTheEnvironment() throws {
        #expect(ServerConfiguration().dicomQuietPeriodMs == 5_000)
        #expect(try ServerConfiguration(environment: ["MEDINFER_DICOM_QUIET_PERIOD_MS": "250"]).dicomQuietPeriodMs == 250)
        #expect(throws: ServerConfigurationError.self) {
            try ServerConfiguration(environment: ["MEDINFER_DICOM_QUIET_PERIOD_MS": "5s"])
        }
    }
}
