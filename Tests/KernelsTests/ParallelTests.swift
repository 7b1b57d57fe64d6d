import Kernels
import Synchronization
import Testing
import TestSupport

/// The worker pool runs every task exactly once, for any worker count, also when callers overlap.
@Suite(.onComputeThreads) struct ParallelTests {
    @Test func everyTaskRunsOnceWhateverTheWorkers() {
        for threads in [1, 2, 3, 4] {
            for tasks in [0, 1, 2, 7, 100] {
                let counts = Mutex([Int](repeating: 0, count: tasks))
                let seen = Mutex(0)
                Parallel.run(tasks: tasks, threads: threads) { t, w in
                    counts.withLock { $0[t] += 1 }
                    seen.withLock { $0 = max($0, w) }
                }
                let maxWorker = seen.withLock { $0 }
                #expect(counts.withLock { $0 } == [Int](repeating: 1, count: tasks), "threads \(threads) tasks \(tasks)")
                #expect(maxWorker < max(1, threads))
            }
        }
    }

    final class Counter: Sendable { let value = Atomic<Int>(0) }

    @Test func overlappingCallersEachGetTheirTasks() async {
        let total = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<200 {
                        Parallel.run(tasks: 16, threads: 2) { _, _ in total.value.wrappingAdd(1, ordering: .relaxed) }
                    }
                }
            }
        }
        #expect(total.value.load(ordering: .relaxed) == 4 * 200 * 16)
    }
}
