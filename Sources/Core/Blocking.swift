import NIOCore
import NIOPosix

/// The one executor for blocking work: file I/O that may wait on the disk (fsync, reads of stored blobs),
/// CPU-heavy decoding and preprocessing, and client libraries that only offer blocking calls. Async code
/// awaits `Blocking.run` instead of blocking Swift's cooperative pool (as many threads as cores: one
/// blocked thread there stalls every task behind it) or a SwiftNIO event loop.
///
/// A SwiftNIO `NIOThreadPool` of its own, sized for waiting rather than computing: work that waits on a
/// slow disk must not hold up decoding behind it. The engine's worker pool owns its own threads and does
/// not run here.
public enum Blocking {
    /// 8 threads, or 2 per core on larger machines: enough that a stalled fsync leaves room for decodes.
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(8, 2 * System.coreCount))
        pool.start()
        return pool
    }()

    /// Runs `body` on the blocking pool and returns its result; the calling task suspends meanwhile.
    /// Cancellation does not interrupt `body` (blocking calls cannot be), so it always completes.
    public static func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let outcome: Result<T, E>
        do {
            outcome = try await pool.runIfActive { () -> Result<T, E> in
                do throws(E) { return .success(try body()) } catch { return .failure(error) }
            }
        } catch {
            // The pool is never shut down, so it is always active; should that change, run here instead of failing.
            do throws(E) { outcome = .success(try body()) } catch let failure { outcome = .failure(failure) }
        }
        return try outcome.get()
    }
}

/// A task executor on threads of its own: `withTaskExecutorPreference(executor) { }` runs a task's
/// nonisolated code (and the synchronous functions it calls) there instead of on Swift's cooperative pool.
/// For long synchronous computations that would otherwise hold a cooperative thread for seconds (the test
/// suite runs its numeric tests on one, so socket tests keep the cooperative threads). Its threads are its
/// own, not `Blocking`'s, so such work never delays the file I/O that `Blocking.run` serves either.
public final class ThreadPoolTaskExecutor: TaskExecutor {
    private let pool: NIOThreadPool

    /// Starts `threads` threads, which live as long as the executor.
    public init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pool.submit { _ in job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    deinit { pool.shutdownGracefully { _ in } }
}
