import Core
import Foundation
import JobQueue
import Logging
import Synchronization

/// What the quiet period tracks in memory; the instances themselves are on disk (pending folders), so a
/// crash loses only the timing and `recoverPendingStudies()` makes the jobs at the next start.
struct PendingStudies: Sendable {
    /// Study key -> when an instance of that study last arrived (stored on an open association or moved
    /// into its pending folder at release).
    var lastArrival: [String: ContinuousClock.Instant] = [:]
    /// Whether the checker task runs (at most one).
    var checking = false
}

/// One study sent over several associations becomes one job: at A-RELEASE an association's instances are
/// renamed (same file system, so each move is atomic) into the pending folder of their study and model,
/// `<data>/dicom-spool/studies/<study key>/`, and that folder becomes a job once no instance of the study
/// has arrived for `quietPeriod`. A crash in the middle of a move leaves every instance in exactly one of
/// the two folders; both are recovered as jobs.
extension DICOMIntake {
    static let studiesFolderName = "studies"

    var studiesFolder: URL { spool.appendingPathComponent(Self.studiesFolderName, isDirectory: true) }

    /// The pending folder's name for a study on a model: the Study Instance UID itself when it is a valid UID
    /// (digits and dots, at most 64 characters), else a hash of it, then a hash of the model reference, so
    /// instances sent to called AE titles of different models never share a job.
    static func studyKey(study: String, reference: String) -> String {
        let isUID = !study.isEmpty && study.utf8.count <= 64 && study.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }
        return (isUID ? study : "h" + fnv1a(study)) + "-" + fnv1a(reference)
    }

    /// FNV-1a 64 as 16 hex digits: a stable short name (not a security measure).
    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// An instance of the study `key` was stored: its pending part waits a full quiet period from now.
    func arrived(_ key: String) {
        guard quietPeriod > .zero else { return }
        pending.withLock { $0.lastArrival[key] = .now }
    }

    /// Moves the instances of a released association's `folder` into their studies' pending folders,
    /// removes `folder` and makes sure the checker runs. Returns the study keys.
    func park(folder: URL, reference: String) async throws -> [String] {
        let keys = try await folders.withLock { () async throws -> [String] in
            try await Blocking.run { [self] () throws -> [String] in try self.move(folder, intoStudiesOf: reference) }
        }
        startChecker()
        return keys
    }

    /// `park`'s file work (blocking): renames, fsyncs, and the arrival times of the studies it touched.
    private func move(_ folder: URL, intoStudiesOf reference: String) throws -> [String] {
        let fm = FileManager.default
        let groups = try studies(in: folder)
        let keys = try pending.withLock { state throws -> [String] in
            var keys: [String] = []
            for (study, members) in groups {
                let key = Self.studyKey(study: study, reference: reference)
                let target = studiesFolder.appendingPathComponent(key, isDirectory: true)
                try fm.createDirectory(at: target, withIntermediateDirectories: true)
                let modelFile = target.appendingPathComponent("model")
                if !fm.fileExists(atPath: modelFile.path) { try durableWrite(Data(reference.utf8), to: modelFile) }
                var next = try fm.contentsOfDirectory(at: target, includingPropertiesForKeys: nil)
                    .compactMap { $0.pathExtension == "dcm" ? Int($0.deletingPathExtension().lastPathComponent) : nil }
                    .max() ?? 0
                for (file, _) in members {
                    next += 1
                    let destination = target.appendingPathComponent("\(next).dcm")
                    guard rename(file.path, destination.path) == 0 else {
                        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path,
                                                                        NSLocalizedDescriptionKey: "rename from \(file.path): errno \(errno)"])
                    }
                }
                fsyncDirectory(target)
                state.lastArrival[key] = .now
                keys.append(key)
            }
            fsyncDirectory(studiesFolder)
            return keys
        }
        fsyncDirectory(folder)
        try? fm.removeItem(at: folder)
        return keys
    }

    /// Starts the checker unless it runs: it sleeps until the oldest pending study is due, makes the jobs
    /// of the due ones, and stops when nothing is pending. Graceful shutdown does not wait for it: what is
    /// pending then is on disk and becomes jobs at the next start.
    func startChecker() {
        let start = pending.withLock { state -> Bool in
            if state.checking { return false }
            state.checking = true
            return true
        }
        guard start else { return }
        Task { [self] in
            while true {
                let wait: Duration? = pending.withLock { state in
                    guard let oldest = state.lastArrival.values.min() else {
                        state.checking = false
                        return nil
                    }
                    return oldest.advanced(by: quietPeriod) - ContinuousClock.now
                }
                guard let wait else { return }
                if wait > .zero { try? await Task.sleep(for: wait) }
                await submitDueStudies()
            }
        }
    }

    /// Makes the job of every pending study quiet for `quietPeriod`; a study whose job cannot be made now
    /// keeps its folder for the next arrival or the next start.
    func submitDueStudies() async {
        await folders.withLock {
            let due = pending.withLock { state -> [URL] in
                let now = ContinuousClock.now
                var due: [URL] = []
                for (key, last) in state.lastArrival where last.advanced(by: quietPeriod) <= now {
                    state.lastArrival[key] = nil
                    due.append(studiesFolder.appendingPathComponent(key, isDirectory: true))
                }
                return due
            }
            // A study seen only on an association still open (or since aborted) has no folder yet.
            for folder in due where FileManager.default.fileExists(atPath: folder.path) { await submitPending(folder) }
            // Leaves no empty `studies` folder behind (rmdir fails, harmlessly, while one is pending).
            _ = rmdir(studiesFolder.path)
        }
    }

    /// Submits one pending study folder (call holding `folders`).
    func submitPending(_ folder: URL) async {
        let reference = (try? String(contentsOf: folder.appendingPathComponent("model"), encoding: .utf8)) ?? ""
        do {
            let model = try environment.resolveModel(reference.isEmpty ? nil : reference)
            let jobs = try await submit(folder: folder, model: model, association: "study:" + folder.lastPathComponent)
            logger.info("DICOM study \(folder.lastPathComponent) quiet: jobs \(jobs)")
        } catch {
            logger.error("cannot make the job of the pending DICOM study \(folder.path): \(error)")
        }
    }

    /// Pending studies left by an earlier run become jobs now (the quiet period's clock did not survive).
    func recoverPendingStudies() async {
        guard let folders = try? FileManager.default.contentsOfDirectory(at: studiesFolder, includingPropertiesForKeys: nil) else { return }
        await self.folders.withLock {
            for folder in folders { await submitPending(folder) }
            _ = rmdir(studiesFolder.path)
        }
    }
}

/// fsyncs a directory so the renames into it survive a crash.
func fsyncDirectory(_ url: URL) {
    let fd = Foundation.open(url.path, O_RDONLY)
    if fd >= 0 {
        defer { close(fd) }
        _ = fsync(fd)
    }
}
