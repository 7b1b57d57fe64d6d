import Core
import JobQueue
import Annotations
import Foundation
import Imaging
import Models
import Pipeline
import Synchronization

/// The analyzer of one model version, or why there is none.
enum AnalyzerSlot: Sendable {
    case ready(Analyzer)
    /// The pipeline cannot run this manifest: every image of the version fails with the reason.
    case refused(String)
    /// The version left the repository after the claim: the images are retried (with backoff).
    case unavailable(String)
}

/// A claimed batch after decoding and preprocessing: what goes to the engine, and what already failed.
struct PreparedBatch: Sendable {
    var analyzer: Analyzer?
    var ready: [(image: ClaimedImage, prepared: Analyzer.Prepared)]
    var failures: [(ClaimedImage, ImageOutcome)]
    var claimed: [ClaimedImage]
}

extension Worker {
    /// The batching of `model` (flags override the manifest, which overrides the defaults), or nil when
    /// this worker's repository has no verified version with these weights.
    func policy(for model: ModelRef) -> BatchPolicy? {
        guard let loaded = models.model(model.name, version: model.version), loaded.sha256 == model.sha256 else { return nil }
        return Self.policy(loaded.manifest, options)
    }

    /// Flags override the manifest, which overrides the defaults (job batches and infer batches alike).
    static func policy(_ manifest: ModelManifest, _ options: Options) -> BatchPolicy {
        let batching = manifest.batching
        return BatchPolicy(
            maxBatch: options.maxBatch ?? batching?.maxBatchSize ?? options.defaultPolicy.maxBatch,
            maxDelay: options.maxDelay ?? batching.map { .milliseconds($0.maxDelayMs) } ?? options.defaultPolicy.maxDelay)
    }

    /// Claims and prepares the next due batch; nil when stopping, or (with `once`) when nothing this worker
    /// can serve is queued.
    /// A database error is retried a few times (another process may hold the write lock for long).
    func nextBatch() async throws(JobQueueError) -> PreparedBatch? {
        var failures = 0
        var lastReload = ContinuousClock.now
        while !isStopping {
            let outcome: ClaimOutcome
            do {
                outcome = try await queue.claim(identity) { self.policy(for: $0) }
                failures = 0
            } catch {
                failures += 1
                log("cannot claim work (\(failures)/5): \(error)")
                if failures >= 5 { throw error }
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            switch outcome {
            case .batch(let images):
                // Reading blobs, decoding and preprocessing block: on the blocking executor.
                return await Blocking.run { self.prepare(images) }
            case .wait(let until):
                // A submission may fill the batch before it is due.
                let ms = max(1, min(until - queue.configuration.clock(), Timestamp.milliseconds(options.pollInterval)))
                await queue.store.waitForWork(timeout: .milliseconds(ms))
            case .idle:
                if options.once { return nil }
                // Pick up model versions added since (verification only reruns for changed folders).
                if ContinuousClock.now - lastReload > .seconds(10) {
                    await reloadModels()
                    lastReload = .now
                }
                await queue.store.waitForWork(timeout: options.pollInterval)
            }
        }
        return nil
    }

    /// Reads, decodes and preprocesses each image; one that cannot be fails alone, permanently (the same
    /// bytes would fail the same way again). Blocking: call it on the blocking executor.
    func prepare(_ images: [ClaimedImage]) -> PreparedBatch {
        var batch = PreparedBatch(analyzer: nil, ready: [], failures: [], claimed: images)
        guard let model = images.first?.model else { return batch }
        switch analyzer(for: model) {
        case .refused(let reason):
            batch.failures = images.map { ($0, .failed(reason, permanent: true)) }
        case .unavailable(let reason):
            batch.failures = images.map { ($0, .failed(reason, permanent: false)) }
        case .ready(let analyzer):
            batch.analyzer = analyzer
            for image in images {
                // Items of several inputs (a series) wait for the volume pipeline; the 2-D analyzer takes one.
                guard image.blobs.count == 1 else {
                    batch.failures.append((image, .failed("the item has \(image.blobs.count) inputs; \(model) analyses one image per item",
                                                          permanent: true)))
                    continue
                }
                do {
                    let data = try queue.blobs.read(image.blob)
                    batch.ready.append((image, try analyzer.admit(data, name: image.name).prepared))
                } catch let error as JobQueueError {
                    batch.failures.append((image, .failed("stored image unreadable: \(error)", permanent: true)))
                } catch {
                    // A `ScanRefusal`: the bytes or the model will not change their mind.
                    batch.failures.append((image, .failed("\(error)", permanent: true)))
                }
            }
        }
        return batch
    }

    /// Runs the batch on the engine thread, stores each report as a blob and records every outcome in
    /// one transaction, all under the blob lock so no sweep can remove a report before its row commits.
    func process(_ batch: PreparedBatch) async {
        var outcomes = batch.failures
        var analyses: [(ClaimedImage, Analysis)] = []
        var inference: Duration?
        if let analyzer = batch.analyzer, !batch.ready.isEmpty {
            let prepared = batch.ready.map(\.prepared)
            let wanted = AnalysisOptions(overlays: options.overlays)
            let analysisOptions = analyzer.makesOverlay(wanted) ? wanted : AnalysisOptions(overlays: false)
            // Timed on the engine thread: a wait behind an infer batch is not this batch's engine time.
            let (result, elapsed) = await engine.run { () -> (Result<[Analysis], PipelineError>, Duration) in
                let started = ContinuousClock.now
                do throws(PipelineError) {
                    let made = try analyzer.analyses(prepared, options: analysisOptions)
                    return (.success(made), ContinuousClock.now - started)
                } catch {
                    return (.failure(error), ContinuousClock.now - started)
                }
            }
            inference = elapsed
            if options.holdAfterInference > .zero { try? await Task.sleep(for: options.holdAfterInference) }
            switch result {
            case .success(let made):
                for ((image, _), analysis) in zip(batch.ready, made) {
                    var a = analysis
                    a.report.job = image.jobID
                    a.report.image = image.index
                    analyses.append((image, a))
                }
            case .failure(let error):
                // A model that cannot take this input will not take it next time either.
                let permanent = if case .engine = error { false } else { true }
                outcomes += batch.ready.map { ($0.image, .failed(error.description, permanent: permanent)) }
            }
        }
        var applied: [Bool] = []
        var finishedWithoutReport: [String] = []
        do {
            let failures = outcomes
            (outcomes, applied) = try await queue.withBlobHold { () async throws(JobQueueError) in
                let stored = await Blocking.run { [queue, analyses] in Self.store(analyses, in: queue.blobs) }
                let all = failures + stored.outcomes
                // The SR of each job this batch finishes, durable before the transaction that stores it with the job.
                let reports = await structuredReports(finishing: all, reports: stored.reports)
                let recorded = try await recordWithRetries(all, jobArtifacts: reports)
                finishedWithoutReport = recorded.finishedJobs.filter { reports[$0] == nil }
                return (all, recorded.applied)
            }
        } catch {
            // Our heartbeats would keep these leases alive for ever: stop, so they expire and another worker
            // (or the next start) runs the images again. Reports already written are swept as orphans.
            log("stopping: cannot record a batch of \(batch.claimed.count) image(s): \(error)")
            stop()
            return
        }
        report(batch, inference: inference, outcomes: outcomes, applied: applied)
        // A job finished without its SR prepared (its last images were in two workers' batches at once):
        // written now, once, first writer wins; a request would write it too.
        await writeStructuredReports(of: finishedWithoutReport)
        summary.withLock { s in
            s.batches += 1
            s.largestBatch = max(s.largestBatch, batch.claimed.count)
            // Only what this worker recorded: a result fenced off by a lost lease is someone else's.
            for ((_, o), recorded) in zip(outcomes, applied) where recorded {
                switch o {
                case .succeeded: s.succeeded += 1
                case .failed(_, let permanent): if permanent { s.failed += 1 } else { s.retried += 1 }
                }
            }
        }
    }

    /// Encodes each analysis (report JSON, overlay PNG) and writes it as durable blobs: its artifacts, or why
    /// it could not be stored. Blocking file I/O: runs on the blocking executor, under the caller's blob hold.
    /// Returns the outcomes and, by `reportKey`, each stored report (as stored: with its overlay's name).
    static func store(_ analyses: [(ClaimedImage, Analysis)],
                      in blobs: any BlobStoring) -> (outcomes: [(ClaimedImage, ImageOutcome)], reports: [String: Report]) {
        var outcomes: [(ClaimedImage, ImageOutcome)] = []
        var reports: [String: Report] = [:]
        for (image, analysis) in analyses {
            do {
                // The artifact's name, never a URL: the server makes that when it serves.
                let (report, png) = try analysis.encoded(overlayPath: Artifact.overlayName)
                var artifacts: [Artifact] = []
                if let png {
                    artifacts.append(Artifact(name: Artifact.overlayName, blob: try blobs.put(png), mediaType: "image/png"))
                }
                let blob = try blobs.put(Data(try report.jsonLine().utf8))
                artifacts.insert(Artifact(name: Artifact.reportName, blob: blob, mediaType: "application/json"), at: 0)
                outcomes.append((image, .succeeded(artifacts)))
                reports[reportKey(image)] = report
            } catch let error as JobQueueError {
                outcomes.append((image, .failed("cannot store the result: \(error)", permanent: false)))
            } catch {
                outcomes.append((image, .failed("cannot encode the report: \(error)", permanent: true)))
            }
        }
        return (outcomes, reports)
    }

    static func reportKey(_ image: ClaimedImage) -> String { "\(image.jobID)/\(image.index)" }

    /// The DICOM SR of each job that recording `outcomes` will finish: one whose images outside this batch are
    /// all final already and whose images in it all end here (succeeded, or failed for good). Rendered from
    /// the job's stored reports and this batch's `reports`, written as a durable blob (the caller holds the
    /// blob store), and handed to `record`, which stores it with the job in the transaction that finishes
    /// it, so a finished job has its SR from the moment it is finished. A job this cannot tell about (a
    /// transient failure that may be the last attempt, another worker's image still running) is left to
    /// `writeStructuredReports` after the commit.
    func structuredReports(finishing outcomes: [(ClaimedImage, ImageOutcome)],
                           reports: [String: Report]) async -> [String: [Artifact]] {
        var prepared: [String: [Artifact]] = [:]
        for (job, items) in Dictionary(grouping: outcomes, by: \.0.jobID) {
            let endsHere = items.allSatisfy { item in
                if case .failed(_, permanent: false) = item.1 { return false }
                return true
            }
            let mine = Set(items.map(\.0.index))
            guard endsHere, items.contains(where: { reports[Self.reportKey($0.0)] != nil }),
                  let earlier = try? await queue.result(job),
                  earlier.job.images.allSatisfy({ mine.contains($0.index) || $0.status.isTerminal })
            else { continue }
            let all = (earlier.reports.filter { !mine.contains($0.image) } + items.compactMap { reports[Self.reportKey($0.0)] })
                .sorted { $0.image < $1.image }
            do {
                let inputs = try await queue.structuredReportInputs(all, job: job)
                let ref = try await Blocking.run { [queue] () throws -> BlobRef in
                    try queue.blobs.put(try StructuredReportWriter().write(inputs))
                }
                prepared[job] = [Artifact(name: Artifact.structuredReportName, blob: ref, mediaType: StructuredReportWriter.mediaType)]
            } catch {
                log("job \(job): no DICOM SR prepared: \(error)")
            }
        }
        return prepared
    }

    /// Writes the DICOM SR of each job this batch's transaction finished (only that one transaction sees the
    /// job finish, so only one worker writes it) once, as the job's stored `sr.dcm`
    /// (`JobQueue.structuredReport(job:)`). A job that cannot have one (no succeeded image, reports of mixed
    /// versions) is left as it is: a request for its SR says why, as it always did.
    func writeStructuredReports(of jobs: [String]) async {
        for job in jobs {
            guard let status = try? await queue.status(job), status.images.contains(where: { $0.status == .succeeded }) else { continue }
            do { _ = try await queue.structuredReport(job: job) } catch {
                log("job \(job): no DICOM SR stored: \(error)")
            }
        }
    }

    /// Tells the observer about an engine run: its size, engine time and, per image now finished (succeeded
    /// or failed for good), the time since its job was submitted.
    func report(_ batch: PreparedBatch, inference: Duration?, outcomes: [(ClaimedImage, ImageOutcome)], applied: [Bool]) {
        guard let observer = options.observer, let inference, let model = batch.claimed.first?.model else { return }
        let now = queue.configuration.clock()
        var endToEnd: [Duration] = []
        for ((image, outcome), recorded) in zip(outcomes, applied) where recorded {
            switch outcome {
            case .succeeded, .failed(_, permanent: true): endToEnd.append(.milliseconds(max(0, now - image.submittedAt)))
            case .failed: break
            }
        }
        observer(BatchRecord(kind: .jobs, model: model, size: batch.ready.count, requests: batch.ready.count,
                             inference: inference, endToEnd: endToEnd))
    }

    /// `complete`, tried three times half a second apart: another process may hold the write lock for
    /// longer than the busy timeout.
    func recordWithRetries(_ outcomes: [(ClaimedImage, ImageOutcome)],
                           jobArtifacts: [String: [Artifact]] = [:]) async throws(JobQueueError) -> JobQueue.Recorded {
        var attempt = 1
        while true {
            do { return try await queue.record(identity, outcomes, jobArtifacts: jobArtifacts) } catch {
                guard attempt < 3 else { throw error }
                log("cannot record results (attempt \(attempt)/3): \(error)")
                attempt += 1
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// The cached analyzer of `model`. Claims only take versions the repository serves (see `policy`), so
    /// the one failure left is a manifest the pipeline cannot run: every image of it fails with the reason.
    func analyzer(for model: ModelRef) -> AnalyzerSlot {
        if let slot = analyzers.withLock({ $0[model] }) { return slot }
        let slot: AnalyzerSlot
        if let loaded = models.model(model.name, version: model.version), loaded.sha256 == model.sha256 {
            do { slot = .ready(try Analyzer(model: loaded)) } catch { slot = .refused("\(model): \(error)") }
        } else {
            // Removed between the claim and now: not cached, so a later claim can see it again.
            return .unavailable("\(model) is no longer in the model repository")
        }
        analyzers.withLock { $0[model] = slot }
        return slot
    }
}
