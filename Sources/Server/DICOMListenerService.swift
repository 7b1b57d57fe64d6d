import DICOM
public import DICOMNetwork
import Foundation
import Intake
import Models
import Prometheus
public import Logging
import ServiceLifecycle

/// Binds the DICOM listener of `services` (port `dicomPort`, called AE titles `aeTitle` and those of
/// `aeModels`, the allow-list, limits) with the queue-backed intake behind it. Spool folders left by an
/// earlier run become jobs first.
/// `port` overrides the configured one (tests bind 0 and read `listener.port`).
public func makeDICOMListener(_ services: ServerServices, port: Int? = nil,
                              logger: Logger = Logger(label: "medinfer.dicom")) async throws -> DICOMListener {
    let c = services.configuration
    var allow: [AllowedPeer] = []
    for entry in c.dicomAllow {
        guard let peer = AllowedPeer(entry) else { throw DICOMConfigurationError(detail: "allow-list entry '\(entry)': expected AE@host, AE or @host") }
        allow.append(peer)
    }
    let policy = AssociationPolicy(calledAETitles: Set([c.aeTitle]).union(c.aeModels.keys), allowList: allow)
    let configuration = DICOMListener.Configuration(policy: policy, maxAssociations: c.dicomMaxAssociations,
                                                    maxInstanceBytes: c.dicomMaxInstanceBytes)
    let metrics = services.metrics
    let environment = DICOMIntakeEnvironment(
        queue: services.queue, spool: c.dataDirectory.appendingPathComponent("dicom-spool", isDirectory: true),
        quietPeriod: .milliseconds(max(0, c.dicomQuietPeriodMs)), aeModels: c.aeModels,
        resolveModel: { reference in
            do throws(Problem) { return try services.resolveModel(reference).ref } catch { throw DICOMConfigurationError(detail: error.detail) }
        },
        observe: { event in
            switch event {
            case .association(let outcome): metrics.dicomAssociations(outcome: outcome).increment()
            case .instance(let status): metrics.dicomInstances(status: status).increment()
            case .job: metrics.dicomJobs.increment()
            }
        })
    let intake = DICOMIntake(environment, logger: logger)
    await intake.recoverSpool()
    return try await DICOMListener.bind(host: c.host, port: port ?? c.dicomPort ?? 11112, configuration: configuration,
                                        provider: intake, logger: logger)
}

/// A DICOM setting that cannot be used.
public struct DICOMConfigurationError: Error, Sendable, CustomStringConvertible {
    public var detail: String
    public var description: String { detail }
}

/// The DICOM listener as a service of the application's group: on graceful shutdown it stops accepting
/// and associations in progress are cancelled (an unreleased one leaves no job).
struct DICOMListenerService: Service {
    let services: ServerServices
    let logger: Logger

    func run() async throws {
        let listener = try await makeDICOMListener(services, logger: logger)
        logger.info("DICOM listener on port \(listener.port), AE title \(services.configuration.aeTitle)")
        try await withGracefulShutdownHandler {
            try await listener.run()
        } onGracefulShutdown: {
            Task { await listener.close() }
        }
    }
}
