public import JobQueue
import Foundation
public import Models

extension AuditEventKind {
    /// No version of a model can serve any more (subject: the model's name).
    public static let modelDeactivated = Self("model.deactivated")
}

extension AuditTrail {
    /// Appends the activations, deactivations and refusals among `events` (a repository reload's result),
    /// in one transaction: `model.activated` (subject `name:version`; details: weights SHA-256, previous
    /// version, trigger), `model.refused` (subject `name:version`; details: reason, trigger) and
    /// `model.deactivated`. `trigger` says what reloaded (`server start`, `repository load`, `worker reload`).
    ///
    /// A process that starts reloads every model and sees each active version "activated" again; such an
    /// event is skipped when the trail's latest activation row of that model already names the same
    /// version and weights (and a refusal when the latest refusal of that version gives the same reason),
    /// so restarts add no rows while a changed version always does.
    @discardableResult
    public func recordModelEvents(_ events: [ModelEvent], repository: ModelRepository, trigger: String) async throws(JobQueueError) -> [AuditRecord] {
        var pending: [AuditEvent] = []
        for event in events {
            switch event {
            case let .activated(name, version, previous):
                var e = AuditEvent(kind: .modelActivated, subject: "\(name):\(version)", details: ["trigger": trigger])
                if let sha = repository.model(name, version: version)?.sha256 { e.details["sha256"] = sha }
                if let previous { e.details["previous"] = String(previous) }
                pending.append(e)
            case let .refused(name, version, reason):
                pending.append(AuditEvent(kind: .modelRefused, subject: "\(name):\(version)",
                                          details: ["reason": reason, "trigger": trigger]))
            case let .deactivated(name, previous):
                pending.append(AuditEvent(kind: .modelDeactivated, subject: name,
                                          details: ["previous": String(previous), "trigger": trigger]))
            case .verified, .removed:
                continue
            }
        }
        guard !pending.isEmpty else { return [] }
        return try await queue.store.write { [pending, queue] tx in
            var appended: [AuditRecord] = []
            for event in pending {
                if try await Self.alreadyRecorded(tx, event) { continue }
                appended.append(try await Self.append(tx, event, now: queue.configuration.clock()))
            }
            return appended
        }
    }

    /// True when `event` restates what the trail already holds as current (see `recordModelEvents`).
    static func alreadyRecorded(_ tx: any SQLTransaction, _ event: AuditEvent) async throws -> Bool {
        guard let subject = event.subject else { return false }
        switch event.kind {
        case .modelActivated:
            let name = String(subject.split(separator: ":", maxSplits: 1).first ?? "")
            // The latest row that changed which version of `name` serves (by the CLI or a server).
            guard let row = try await tx.fetchOne("""
                SELECT * FROM audit_log WHERE (kind = ? AND subject LIKE ? ESCAPE '\\') OR (kind = ? AND subject = ?)
                ORDER BY seq DESC LIMIT 1
                """, [AuditEventKind.modelActivated.rawValue, Self.likePrefix(name) + ":%",
                                 AuditEventKind.modelDeactivated.rawValue, name])
            else { return false }
            let last = try record(row)
            return last.kind == .modelActivated && last.subject == subject && last.details["sha256"] == event.details["sha256"]
        case .modelRefused:
            guard let row = try await tx.fetchOne("SELECT * FROM audit_log WHERE kind = ? AND subject = ? ORDER BY seq DESC LIMIT 1",
                                            [AuditEventKind.modelRefused.rawValue, subject])
            else { return false }
            return try record(row).details["reason"] == event.details["reason"]
        case .modelDeactivated:
            guard let row = try await tx.fetchOne("""
                SELECT * FROM audit_log WHERE (kind = ? AND subject LIKE ? ESCAPE '\\') OR (kind = ? AND subject = ?)
                ORDER BY seq DESC LIMIT 1
                """, [AuditEventKind.modelActivated.rawValue, Self.likePrefix(subject) + ":%",
                                 AuditEventKind.modelDeactivated.rawValue, subject])
            else { return false }
            return try record(row).kind == .modelDeactivated
        default:
            return false
        }
    }

    /// `text` for a LIKE pattern with `\` as the escape character.
    static func likePrefix(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}
