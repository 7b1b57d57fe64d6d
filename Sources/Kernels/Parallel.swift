import Dispatch
import Foundation
import Synchronization

/// The engine's one thread owner: runs `tasks` independent work items on `threads` workers (the caller
/// plus `threads - 1` pool threads), handing them out in order. OpenBLAS stays single-threaded inside
/// each item, so the engine's threads and OpenBLAS's never compete for the cores.
public enum Parallel {
    /// `body(task, worker)`; `worker` in 0..<threads indexes per-worker scratch. Each task's result must not
    /// depend on which worker runs it.
    public static func run(tasks: Int, threads: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        let workers = min(max(1, threads), tasks)
        if workers <= 1 {
            for t in 0..<tasks { body(t, 0) }
            return
        }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            let share: (Int) -> Void = { worker in
                while true {
                    let t = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if t >= tasks { break }
                    body(t, worker)
                }
            }
            // A run of the plan calls this a few hundred times: pool threads that spin briefly between
            // calls answer in well under a microsecond, where waking a dispatch worker takes tens.
            if !WorkerPool.shared.run(workers: workers, share) {
                let box = UnsafeSendable(share)
                DispatchQueue.concurrentPerform(iterations: workers) { box.value($0) }
            }
        }
    }
}

/// The closure is only called while the caller waits for it.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Persistent threads for `Parallel`: one job at a time (a second concurrent caller falls back to
/// dispatch). Idle threads spin for `spinNanoseconds`, then sleep until the next job.
final class WorkerPool: @unchecked Sendable {
    // @unchecked: `started` is only touched by the caller holding `busy`; the job is published in `slot`
    // (a mutex) before `generation` is bumped, and the caller waits for `pending` to reach 0 before the
    // job's closure goes out of scope.
    static let shared = WorkerPool()
    static let spinNanoseconds: UInt64 = 200_000
    /// Busy polls of the caller waiting for the pool before it yields its CPU between polls.
    static let spinsBeforeYield = 1000

    private struct Slot {
        var generation = 0, workers = 0
        var job: UnsafeSendable<(Int) -> Void>?
    }
    private let busy = Mutex(false)
    private let slot = Mutex(Slot())
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let condition = NSCondition()
    private var started = 0

    /// Runs `share(worker)` for worker 0 (here) and 1..<workers (pool threads); false if the pool is in use.
    func run(workers: Int, _ share: (Int) -> Void) -> Bool {
        guard busy.withLock({ b in if b { return false }; b = true; return true }) else { return false }
        defer { busy.withLock { $0 = false } }
        while started < workers - 1 {
            started += 1
            let index = started
            let t = Thread { [self] in self.loop(index: index) }
            t.stackSize = 1 << 20
            t.start()
        }
        withoutActuallyEscaping(share) { share in
            let g = generation.load(ordering: .sequentiallyConsistent) + 1
            slot.withLock { $0 = Slot(generation: g, workers: workers, job: UnsafeSendable(share)) }
            pending.store(workers - 1, ordering: .sequentiallyConsistent)
            condition.lock()
            generation.store(g, ordering: .sequentiallyConsistent)
            condition.broadcast()
            condition.unlock()
            share(0)
            var spins = 0
            while pending.load(ordering: .acquiring) > 0 {
                // A pool thread that shares this CPU with us (the host took the other vCPU for a while, or another
                // process runs there) needs the CPU to finish; a bare spin would hold it for a whole time slice.
                spins += 1
                if spins > WorkerPool.spinsBeforeYield { sched_yield() }
            }
            slot.withLock { $0.job = nil }
        }
        return true
    }

    private func loop(index: Int) {
        var done = 0  // the last generation this thread looked at
        while true {
            if generation.load(ordering: .acquiring) == done {
                let t0 = DispatchTime.now().uptimeNanoseconds
                while generation.load(ordering: .acquiring) == done
                    && DispatchTime.now().uptimeNanoseconds - t0 < WorkerPool.spinNanoseconds {
                    sched_yield()  // idle: give way to a busy thread of ours that shares this CPU (a no-op otherwise)
                }
                condition.lock()
                while generation.load(ordering: .acquiring) == done { condition.wait() }
                condition.unlock()
            }
            var ran = false
            do {
                // Each generation at most once; threads beyond the job's worker count sit it out.
                let (g, job) = slot.withLock { s in (s.generation, s.generation > done && index < s.workers ? s.job : nil) }
                done = max(done, g)
                if let job {
                    job.value(index)
                    ran = true
                }
            }  // the job's closure is released here, before the caller may return (withoutActuallyEscaping)
            if ran { pending.wrappingSubtract(1, ordering: .releasing) }
        }
    }
}
