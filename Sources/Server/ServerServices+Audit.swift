import Inference
import JobQueue
import Logging
import Models

extension ServerServices {
    /// Counts a repository reload's verifications and refusals (metrics) and appends its activations and
    /// refusals to the data directory's audit trail (`AuditTrail.recordModelEvents`; repeated starts add no
    /// rows). An audit failure is logged, not thrown: the reload already happened and must keep serving.
    func recordModelEvents(_ events: [ModelEvent], trigger: String, logger: Logger) async {
        metrics.record(events)
        guard !events.isEmpty else { return }
        do { try await queue.audit.recordModelEvents(events, repository: models, trigger: trigger) } catch {
            logger.error("cannot append the model events to the audit trail: \(error)")
        }
    }
}
