import Core


/// The audit rows the queue appends in the transactions of the changes they record.
extension JobQueue {
    static func auditSubmission(_ tx: any SQLTransaction, job: String, model: ModelRef, priority: Int, images: Int,
                                content: String, now: Int64) async throws {
        try await AuditTrail.append(tx, AuditEvent(kind: .jobSubmitted, job: job, subject: model.description, details: [
            "content": content, "modelSHA256": model.sha256, "images": String(images), "priority": String(priority),
        ]), now: now)
    }

    /// A job reached a final `state`: its audit row, then the `Configuration.jobFinished` hooks, all in the
    /// transaction that made the change.
    func finished(_ tx: any SQLTransaction, job: String, state: JobState, now: Int64) async throws {
        try await Self.auditOutcome(tx, job: job, state: state, now: now)
        for hook in configuration.jobFinished { try await hook(tx, job, state) }
    }

    /// A job reached `state` (succeeded, failed or cancelled): the row names the SHA-256 of every stored
    /// artifact (details `report.json`, `overlay.png`, ...: `<image>:<sha256>` separated by spaces), so a
    /// result can later be shown to be the one that was recorded.
    static func auditOutcome(_ tx: any SQLTransaction, job: String, state: JobState, now: Int64) async throws {
        let kind: AuditEventKind = switch state {
        case .succeeded: .jobSucceeded
        case .failed: .jobFailed
        default: .jobCancelled
        }
        var details: [String: String] = [:]
        for row in try await tx.fetchAll("SELECT idx, name, blob FROM artifacts WHERE job_id = ? ORDER BY name, idx", [job]) {
            let name: String = row["name"], entry = "\(row["idx"] as Int):\(row["blob"] as String)"
            details[name] = details[name].map { "\($0) \(entry)" } ?? entry
        }
        if state == .failed {
            details["failedImages"] = String(try await tx.scalar("SELECT COUNT(*) AS n FROM images WHERE job_id = ? AND status = 'failed'",
                                                           [job], as: Int.self) ?? 0)
        }
        try await AuditTrail.append(tx, AuditEvent(kind: kind, job: job, details: details), now: now)
    }
}
