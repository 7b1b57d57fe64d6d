import Core
import Foundation
public import Testing

/// Runs a test (or every test of a suite) on threads of its own (`Core.ThreadPoolTaskExecutor`, one per
/// core) instead of Swift's cooperative pool. For synchronous numeric tests: on Linux SwiftPM runs every
/// test target in one process, and a test that computes for seconds on a cooperative thread (there are as
/// many as cores) holds up every async test queued behind it, such as the DICOM listener tests waiting
/// out the protocol's real timers, or an in-process server answering a CLI test.
public struct OnComputeThreads: TestTrait, SuiteTrait, TestScoping {
    /// Shared by every test that asks: as many threads as cores, so numeric tests take turns among themselves.
    static let executor = ThreadPoolTaskExecutor(threads: ProcessInfo.processInfo.activeProcessorCount)

    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        try await withTaskExecutorPreference(Self.executor) { try await function() }
    }
}

extension Trait where Self == OnComputeThreads {
    /// See `OnComputeThreads`.
    public static var onComputeThreads: Self { OnComputeThreads() }
}
