import Dispatch
import Synchronization

/// The engine's one thread owner: runs `tasks` independent work items on `threads` workers (the caller
/// plus `threads - 1` dispatch workers), handing them out in order. OpenBLAS stays single-threaded inside
/// each item, so the engine's threads and OpenBLAS's never compete for the cores.
public enum Parallel {
    /// `body(task, worker)`; `worker` in 0..<threads indexes per-worker scratch. Each task's result must not
    /// depend on which worker runs it (that keeps outputs identical whatever the thread count).
    public static func run(tasks: Int, threads: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        let workers = min(max(1, threads), tasks)
        if workers <= 1 {
            for t in 0..<tasks { body(t, 0) }
            return
        }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            let box = UnsafeSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                while true {
                    let t = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if t >= tasks { break }
                    box.value(t, worker)
                }
            }
        }
    }
}

/// The closure is only called while `run` waits for it; concurrentPerform needs it Sendable.
private struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
