import DICOMNetwork
import Foundation
import NIOCore
import Synchronization
import Testing
import TestSupport

/// Keeps what a listener received, in memory, for assertions.
final class RecordingProvider: StorageServiceProvider {
    struct Event: Equatable, Sendable {
        var kind: String
        var detail: String
    }

    let events = Mutex<[Event]>([])
    let instances = Mutex<[ReceivedInstance]>([])
    /// Status answered for every C-STORE.
    let status: UInt16

    init(status: UInt16 = DIMSEStatus.success) { self.status = status }

    final class Session: StorageSession {
        let provider: RecordingProvider
        let association: AssociationInfo
        init(provider: RecordingProvider, association: AssociationInfo) {
            self.provider = provider
            self.association = association
        }
        func store(_ instance: ReceivedInstance) async -> StoreOutcome {
            provider.instances.withLock { $0.append(instance) }
            return StoreOutcome(status: provider.status, comment: provider.status == 0 ? nil : "refused by test")
        }
        func released() async { provider.events.withLock { $0.append(.init(kind: "released", detail: association.callingAETitle)) } }
        func aborted(reason: String) async { provider.events.withLock { $0.append(.init(kind: "aborted", detail: reason)) } }
    }

    func open(_ association: AssociationInfo) async -> any StorageSession {
        events.withLock { $0.append(.init(kind: "open", detail: association.callingAETitle)) }
        return Session(provider: self, association: association)
    }

    func rejected(_ request: AssociateRequest, peerHost: String?, reject: AssociateReject, reason: String) async {
        events.withLock { $0.append(.init(kind: "rejected", detail: request.callingAETitle)) }
    }

    var kinds: [String] { events.withLock { $0.map(\.kind) } }

    /// Waits (bounded) until `predicate` holds: session callbacks run after the peer saw its answer.
    func wait(until predicate: @Sendable (RecordingProvider) -> Bool) async {
        for _ in 0..<6000 where !predicate(self) { try? await Task.sleep(for: .milliseconds(10)) }
    }
}

/// Runs `body` against a listener on 127.0.0.1 port 0, and always shuts it down.
func withListener<R: Sendable>(_ configuration: DICOMListener.Configuration, provider: any StorageServiceProvider,
                               _ body: @Sendable (DICOMListener) async throws -> R) async throws -> R {
    let listener = try await DICOMListener.bind(host: "127.0.0.1", port: 0, configuration: configuration, provider: provider)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await listener.run() }
        do {
            let result = try await body(listener)
            await listener.close()
            group.cancelAll()
            return result
        } catch {
            await listener.close()
            group.cancelAll()
            throw error
        }
    }
}

/// The path of a dcmtk tool; a missing one fails the test with a clear message (make test installs it).
func dcmtk(_ tool: String) throws -> String {
    try #require(dcmtkTool(tool), "\(dcmtkMissing) (\(tool) not found)")
}

func run(_ executable: String, _ arguments: [String], timeout: Double = 300) async throws -> ProcessResult {
    try await runProcess(executable, arguments, timeout: timeout)
}
