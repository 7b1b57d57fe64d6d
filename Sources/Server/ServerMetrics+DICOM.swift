import Prometheus

extension ServerMetrics {
    /// DICOM associations by outcome: accepted, rejected, released, aborted.
    func dicomAssociations(outcome: String) -> Counter {
        registry.makeCounter(name: "medinfer_dicom_associations_total", labels: [("outcome", outcome)],
                             help: "DICOM associations by outcome")
    }

    /// C-STORE instances by the status answered (hex, e.g. 0000, a700, c000).
    func dicomInstances(status: UInt16) -> Counter {
        let hex = String(status, radix: 16)
        return registry.makeCounter(name: "medinfer_dicom_instances_total",
                                    labels: [("status", String(repeating: "0", count: 4 - hex.count) + hex)],
                                    help: "DICOM C-STORE instances by response status")
    }

    /// Jobs created from DICOM associations.
    var dicomJobs: Counter {
        registry.makeCounter(name: "medinfer_dicom_jobs_total", help: "Jobs created from DICOM associations")
    }
}
