public import Core
import DICOM
public import DICOMNetwork
public import Foundation
import Imaging
public import JobQueue
public import Logging
import Synchronization

/// What the DICOM intake needs from the application that runs it: the queue, where to spool, how long a
/// study may stay quiet, which model each called AE title runs, and where to count what happened.
public struct DICOMIntakeEnvironment: Sendable {
    /// The queue instances become jobs in.
    public var queue: JobQueue
    /// `<data>/dicom-spool`.
    public var spool: URL
    /// `.zero`: each association's studies become jobs at A-RELEASE.
    public var quietPeriod: Duration
    /// Called AE title -> model reference (`NAME[:VERSION]`); other titles use the default model.
    public var aeModels: [String: String]
    /// The model a reference names (nil: the default model), or an error saying why none can run now.
    public var resolveModel: @Sendable (_ reference: String?) throws -> ModelRef
    /// Told what happened, for the application's metrics.
    public var observe: @Sendable (DICOMIntakeEvent) -> Void

    public init(queue: JobQueue, spool: URL, quietPeriod: Duration, aeModels: [String: String],
                resolveModel: @escaping @Sendable (_ reference: String?) throws -> ModelRef,
                observe: @escaping @Sendable (DICOMIntakeEvent) -> Void = { _ in }) {
        self.queue = queue
        self.spool = spool
        self.quietPeriod = quietPeriod
        self.aeModels = aeModels
        self.resolveModel = resolveModel
        self.observe = observe
    }
}

/// What the intake reports to the application (its metrics).
public enum DICOMIntakeEvent: Sendable, Equatable {
    /// An association accepted, rejected, released or aborted.
    case association(outcome: String)
    /// A C-STORE answered with `status`.
    case instance(status: UInt16)
    /// A job created from DICOM instances.
    case job
}

/// The storage service behind the DICOM listener: each C-STORE instance is checked (it parses, its UIDs
/// match the command, its pixels decode), written durably to a spool folder of its association and
/// only then answered Success. At A-RELEASE the association's instances become one job per study (as
/// with STOW-RS), on the model chosen by the called AE title, and the spool folder is removed; with a
/// quiet period they are first moved to the study's pending folder, which becomes the job once no
/// instance of that study has arrived for the quiet period (see `DICOMIntake+QuietPeriod.swift`). An
/// aborted association leaves nothing: its spool folder is deleted.
///
/// Spool layout: `<data>/dicom-spool/<association id>/<n>.dcm` (+ `model` holding the model reference),
/// pending studies `<data>/dicom-spool/studies/<study key>/<n>.dcm` (+ `model`).
/// A folder left by a crash holds only instances that were answered Success; `recoverSpool()` turns them
/// into jobs at start.
public final class DICOMIntake: StorageServiceProvider {
    let environment: DICOMIntakeEnvironment
    var queue: JobQueue { environment.queue }
    var spool: URL { environment.spool }
    var aeModels: [String: String] { environment.aeModels }
    var quietPeriod: Duration { environment.quietPeriod }
    let logger: Logger
    /// Study key -> last arrival of an instance of that study (pending or on an open association), and
    /// whether the checker task runs. Moves into and submissions of pending folders happen under this lock.
    let pending = Mutex(PendingStudies())
    /// Held while instances move into pending study folders and while those folders become jobs, so a
    /// folder is never submitted (and removed) while another association's instances move into it.
    let folders = AsyncLock()

    public init(_ environment: DICOMIntakeEnvironment, logger: Logger) {
        self.environment = environment
        self.logger = logger
    }

    public func open(_ association: AssociationInfo) async -> any StorageSession {
        environment.observe(.association(outcome: "accepted"))
        await audit(AuditEvent(kind: .dicomAssociation, subject: association.callingAETitle,
                         details: ["outcome": "accepted", "association": association.id, "called": association.calledAETitle,
                                   "peer": association.peerHost ?? ""]))
        return DICOMIntakeSession(intake: self, association: association,
                                  folder: spool.appendingPathComponent(association.id, isDirectory: true))
    }

    public func rejected(_ request: AssociateRequest, peerHost: String?, reject: AssociateReject, reason: String) async {
        environment.observe(.association(outcome: "rejected"))
        await audit(AuditEvent(kind: .dicomAssociation, subject: request.callingAETitle,
                         details: ["outcome": "rejected", "called": request.calledAETitle, "peer": peerHost ?? "", "reason": reason]))
    }

    func audit(_ event: AuditEvent) async {
        do { _ = try await queue.audit.append(event) } catch { logger.error("audit append failed: \(error)") }
    }

    /// The model for `calledAETitle` as a job's model reference.
    func model(for calledAETitle: String) throws -> ModelRef {
        try environment.resolveModel(aeModels[calledAETitle])
    }

    /// Submits the instances spooled in `folder` (one job per study, arrival order) and removes what was
    /// submitted. Returns the job ids.
    @discardableResult
    func submit(folder: URL, model: ModelRef, association: String) async throws -> [String] {
        let fm = FileManager.default
        var jobs: [String] = []
        // Parsing every spooled file for its study: on the blocking executor.
        for (study, members) in try await Blocking.run({ [self] in try studies(in: folder) }) {
            var uploads: [ImageUpload] = []
            for (file, name) in members {
                let upload = try await queue.beginUpload(name: name)
                try await upload.write(contentsOf: file)
                uploads.append(upload)
            }
            let submission = try await queue.submit(uploads, model: model)
            jobs.append(submission.job.id)
            environment.observe(.job)
            await audit(AuditEvent(kind: .dicomAssociation, job: submission.job.id,
                             details: ["outcome": "job", "association": association, "study": study,
                                       "instances": String(members.count)]))
            for (file, _) in members { try? fm.removeItem(at: file) }
        }
        try? fm.removeItem(at: folder)
        return jobs
    }

    /// The `.dcm` files of `folder` in arrival order (`<n>.dcm`) grouped by StudyInstanceUID, each with
    /// its SOP Instance UID as the upload's name.
    func studies(in folder: URL) throws -> [(study: String, files: [(URL, String)])] {
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "dcm" }
            .sorted { (Int($0.deletingPathExtension().lastPathComponent) ?? 0) < (Int($1.deletingPathExtension().lastPathComponent) ?? 0) }
        var studies: [(study: String, files: [(URL, String)])] = []
        for file in files {
            let dataSet = try DICOMParser.parse(Data(contentsOf: file, options: .alwaysMapped)).dataSet
            let study = dataSet.string(.studyInstanceUID) ?? ""
            let name = dataSet.string(.sopInstanceUID) ?? file.lastPathComponent
            if let i = studies.firstIndex(where: { $0.study == study }) { studies[i].files.append((file, name)) } else {
                studies.append((study, [(file, name)]))
            }
        }
        return studies
    }

    /// Turns spool folders left by an earlier run into jobs (their instances were all answered Success):
    /// pending studies first (one job each, whatever the quiet period now), then associations that were
    /// released or still open when the process ended.
    public func recoverSpool() async {
        let fm = FileManager.default
        await recoverPendingStudies()
        guard let folders = try? fm.contentsOfDirectory(at: spool, includingPropertiesForKeys: nil) else { return }
        for folder in folders where folder.lastPathComponent != Self.studiesFolderName {
            let reference = (try? String(contentsOf: folder.appendingPathComponent("model"), encoding: .utf8)) ?? ""
            do {
                let model = try environment.resolveModel(reference.isEmpty ? nil : reference)
                let jobs = try await submit(folder: folder, model: model, association: folder.lastPathComponent)
                logger.notice("recovered DICOM spool \(folder.lastPathComponent) as jobs \(jobs)")
            } catch {
                logger.error("cannot recover DICOM spool \(folder.path): \(error)")
            }
        }
    }
}

extension AuditEventKind {
    /// A DICOM association accepted or rejected, or the job made from it.
    static let dicomAssociation = Self("dicom.association")
}

/// The instances of one association, spooled until release.
final class DICOMIntakeSession: StorageSession, @unchecked Sendable {
    // The listener calls a session one call at a time (PS3.7 synchronous operations), so the mutable
    // state below is never touched concurrently.
    let intake: DICOMIntake
    let association: AssociationInfo
    let folder: URL
    private var count = 0
    private var model: ModelRef?

    init(intake: DICOMIntake, association: AssociationInfo, folder: URL) {
        self.intake = intake
        self.association = association
        self.folder = folder
    }

    func store(_ instance: ReceivedInstance) async -> StoreOutcome {
        let outcome = await check(instance)
        intake.environment.observe(.instance(status: outcome.status))
        return outcome
    }

    private func check(_ instance: ReceivedInstance) async -> StoreOutcome {
        let part10: Data
        do {
            part10 = try DICOMWriter.part10(encodedDataSet: Data(instance.dataSet), sopClassUID: instance.sopClassUID,
                                            sopInstanceUID: instance.sopInstanceUID, transferSyntaxUID: instance.transferSyntaxUID,
                                            options: .init(sourceApplicationEntityTitle: association.callingAETitle))
        } catch {
            return StoreOutcome(status: DIMSEStatus.cannotUnderstand, comment: "bad UIDs in the command: \(error)")
        }
        // The one admission (parse and decode, CPU work): on the blocking executor, not the association's
        // event loop or the cooperative pool.
        let admitted = await Blocking.run { () -> Result<AdmittedScan, AdmissionError> in
            do throws(AdmissionError) { return .success(try Admission.admitInstance(part10)) } catch { return .failure(error) }
        }
        let ids: InstanceIdentifiers?
        switch admitted {
        case .success(let scan): ids = InstanceIdentifiers(sopClassUID: scan.sopClassUID, sopInstanceUID: scan.sopInstanceUID,
                                                           studyInstanceUID: scan.studyInstanceUID)
        case .failure(let error): ids = error.identifiers
        }
        if let ids, ids.sopClassUID != instance.sopClassUID || ids.sopInstanceUID != instance.sopInstanceUID {
            return StoreOutcome(status: DIMSEStatus.dataSetDoesNotMatchSOPClass,
                                comment: "SOP Class/Instance UID of the data set differ from the command")
        }
        if case .failure(let error) = admitted {
            switch error {
            case .notDICOM(let cause):
                return StoreOutcome(status: DIMSEStatus.cannotUnderstand, comment: "data set does not parse: \(cause)")
            case .undecodable(let cause):  // not thrown by admitInstance; named for completeness
                return StoreOutcome(status: DIMSEStatus.cannotUnderstand, comment: "cannot be decoded: \(cause)")
            case .missingIdentifiers:
                return StoreOutcome(status: DIMSEStatus.dataSetDoesNotMatchSOPClass, comment: "no StudyInstanceUID")
            case .noPixelData:
                return StoreOutcome(status: DIMSEStatus.dataSetDoesNotMatchSOPClass, comment: "an image SOP class without pixel data")
            case .undecodablePixels(let cause, _):
                return StoreOutcome(status: DIMSEStatus.cannotUnderstand, comment: "pixel data cannot be decoded: \(cause)")
            }
        }
        // Admitted: the instance has its Study Instance UID.
        let study = ids?.studyInstanceUID ?? ""
        if model == nil {
            do { model = try intake.model(for: association.calledAETitle) } catch {
                return StoreOutcome(status: DIMSEStatus.outOfResources, comment: "no model to run: \(error)")
            }
        }
        // The queue's own capacity check, in images, as `submit` makes it.
        do { try await intake.queue.checkCapacity(adding: 1) } catch {
            if case .queueFull = error { return StoreOutcome(status: DIMSEStatus.outOfResources, comment: "the job queue is full") }
            return StoreOutcome(status: DIMSEStatus.outOfResources, comment: "cannot check the job queue: \(error)")
        }
        do {
            // fsyncs: on the blocking executor.
            let (first, next, folder) = (count == 0, count + 1, folder)
            let reference = intake.aeModels[association.calledAETitle] ?? ""
            try await Blocking.run {
                if first {
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    try durableWrite(Data(reference.utf8), to: folder.appendingPathComponent("model"))
                }
                try durableWrite(part10, to: folder.appendingPathComponent("\(next).dcm"))
            }
            count = next
        } catch {
            return StoreOutcome(status: DIMSEStatus.outOfResources, comment: "cannot store: \(error)")
        }
        // A study still arriving on this association keeps its pending part (from earlier associations) waiting.
        intake.arrived(DICOMIntake.studyKey(study: study, reference: intake.aeModels[association.calledAETitle] ?? ""))
        return .success
    }

    func released() async {
        intake.environment.observe(.association(outcome: "released"))
        guard count > 0, let model else {
            try? FileManager.default.removeItem(at: folder)
            return
        }
        if intake.quietPeriod > .zero {
            do {
                let keys = try await intake.park(folder: folder, reference: intake.aeModels[association.calledAETitle] ?? "")
                intake.logger.info("DICOM association \(association.id) from \(association.callingAETitle): \(count) instances pending in studies \(keys)")
            } catch {
                // What was not moved stays in the association's folder (answered Success); the next start makes the jobs.
                intake.logger.error("DICOM association \(association.id): cannot move to the pending studies now, spool kept: \(error)")
            }
            return
        }
        do {
            let jobs = try await intake.submit(folder: folder, model: model, association: association.id)
            intake.logger.info("DICOM association \(association.id) from \(association.callingAETitle): \(count) instances -> jobs \(jobs)")
        } catch {
            // The instances stay spooled (they were answered Success); the next start retries.
            intake.logger.error("DICOM association \(association.id): cannot create the job now, spool kept: \(error)")
        }
    }

    func aborted(reason: String) async {
        intake.environment.observe(.association(outcome: "aborted"))
        await intake.audit(AuditEvent(kind: .dicomAssociation, subject: association.callingAETitle,
                                details: ["outcome": "aborted", "association": association.id, "reason": reason,
                                          "discarded": String(count)]))
        try? FileManager.default.removeItem(at: folder)
    }
}

/// Writes `data` to a temporary name, fsyncs it, renames it into place and fsyncs the folder, so the
/// file either exists whole after a crash or not at all.
func durableWrite(_ data: Data, to url: URL) throws {
    let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
    guard FileManager.default.createFile(atPath: tmp.path, contents: nil) else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: tmp.path])
    }
    let handle = try FileHandle(forWritingTo: tmp)
    do {
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
    } catch {
        try? handle.close()
        try? FileManager.default.removeItem(at: tmp)
        throw error
    }
    guard rename(tmp.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path]) }
    let fd = Foundation.open(url.deletingLastPathComponent().path, O_RDONLY)
    if fd >= 0 {
        defer { close(fd) }
        _ = fsync(fd)
    }
}
