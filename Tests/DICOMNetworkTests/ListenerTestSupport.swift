import DICOMNetwork
import Foundation
import NIOCore
import Synchronization
import Testing

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
        for _ in 0..<500 where !predicate(self) { try? await Task.sleep(for: .milliseconds(10)) }
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

/// Output and exit status of a finished subprocess.
struct ProcessResult: Sendable {
    var status: Int32
    var output: String
}

/// Runs a program to completion, killing it after `timeout` seconds; never blocks a cooperative thread.
func run(_ executable: String, _ arguments: [String], timeout: Double = 60) async throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let collected = Mutex(Data())
    pipe.fileHandleForReading.readabilityHandler = { handle in
        let chunk = handle.availableData
        collected.withLock { $0.append(chunk) }
    }
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { p in continuation.resume(returning: p.terminationStatus) }
        do { try process.run() } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
            return
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { if process.isRunning { process.terminate() } }
    }
    pipe.fileHandleForReading.readabilityHandler = nil
    let rest = pipe.fileHandleForReading.readDataToEndOfFile()
    let output = collected.withLock { $0 + rest }
    return ProcessResult(status: status, output: String(decoding: output, as: UTF8.self))
}

/// The path of a dcmtk tool; a missing one fails the test with a clear message (make test installs dcmtk).
func dcmtk(_ tool: String) throws -> String {
    for dir in ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"] {
        let path = "\(dir)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    Issue.record("dcmtk's \(tool) is not installed: run `make test` (it installs dcmtk) or `apt-get install dcmtk`")
    throw CancellationError()
}
