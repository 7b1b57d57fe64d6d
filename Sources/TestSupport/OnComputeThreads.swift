import Core
import Foundation
public import Testing

/// Runs a test (or every test of a suite) on threads of its own (`Core.ThreadPoolTaskExecutor`) instead of
/// Swift's cooperative pool. On Linux SwiftPM runs every test target in one process, so a test that holds a
/// cooperative thread (there are as many as cores) holds up every async test queued behind it.
/// - `.onComputeThreads`: synchronous numeric tests (one thread per core; they take turns among themselves).
/// - `.onIOThreads`: tests that race a protocol's real timers (the DICOM listener's ARTIM), whose tasks must
///   resume as soon as a peer answers, whatever the rest of the suite keeps busy.
public struct OnOwnThreads: TestTrait, SuiteTrait, TestScoping {
    static let compute = ThreadPoolTaskExecutor(threads: ProcessInfo.processInfo.activeProcessorCount)
    static let io = ThreadPoolTaskExecutor(threads: 4)

    let executor: ThreadPoolTaskExecutor

    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        try await withTaskExecutorPreference(executor) { try await function() }
    }
}

extension Trait where Self == OnOwnThreads {
    /// Numeric tests: see `OnOwnThreads`.
    public static var onComputeThreads: Self { OnOwnThreads(executor: OnOwnThreads.compute) }
    /// Tests on real protocol timers: see `OnOwnThreads`.
    public static var onIOThreads: Self { OnOwnThreads(executor: OnOwnThreads.io) }
}
