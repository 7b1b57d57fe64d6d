import Foundation
internal import Tensor

/// Where each intermediate lives in the run's arena: the outputs of ops that write into it get a byte
/// offset, fixed at plan time from value liveness, so a run allocates one block (reused across runs) and
/// no tensor memory per op.
struct ArenaLayout {
    /// Per step, per output: the region, or nil when the op allocates that output itself.
    var regions: [[(offset: Int, type: TensorType)?]]
    var byteCount: Int
    /// Sum of the regions' sizes (what the arena would take without reuse).
    var unsharedBytes = 0
    /// (offset, size, first step, last step) of each region, for checks.
    var lifetimes: [(offset: Int, size: Int, start: Int, end: Int)] = []

    static let alignment = 64
    /// Bytes after each region: tensor sizes are often multiples of 4 KiB, and tensors stacked at offsets that
    /// agree in their low 12 bits (an op's input, residual and output) make loads wait on unrelated stores
    /// (4K aliasing) and compete for the same L1 sets. The skew gives neighbours different low bits.
    static let skew = 5 * 64

    /// Values that may share storage with an arena value extend its life: an op outside the arena may
    /// return its input's storage (Reshape, Identity, ...), so its outputs count as aliases of every
    /// arena value among its inputs. Graph outputs live to the end (they are copied out then).
    init(steps: [Plan.Step], types: [Int: TensorType], graphOutputs: Set<Int>) {
        var roots: [Int: Set<Int>] = [:]  // value slot -> arena values it may share storage with
        var start: [Int: Int] = [:], end: [Int: Int] = [:]
        for (i, st) in steps.enumerated() {
            for s in st.inputs.compactMap({ $0 }) { for r in roots[s] ?? [] { end[r] = max(end[r] ?? i, i) } }
            if st.op.writesIntoArena {
                for s in st.outputs where types[s] != nil {
                    roots[s] = [s]
                    start[s] = i
                    end[s] = i
                }
            } else {
                let inherited = st.inputs.compactMap { $0 }.reduce(into: Set<Int>()) { $0.formUnion(roots[$1] ?? []) }
                for s in st.outputs where !inherited.isEmpty { roots[s] = inherited }
            }
        }
        for s in graphOutputs { for r in roots[s] ?? [] { end[r] = steps.count } }

        // Greedy placement, largest first, at the lowest offset free during the value's whole life.
        func size(_ s: Int) -> Int {
            let t = types[s]!
            return (t.count * t.dtype.byteSize + ArenaLayout.alignment - 1) / ArenaLayout.alignment * ArenaLayout.alignment
                + ArenaLayout.skew
        }
        var placed: [(slot: Int, offset: Int, size: Int)] = []
        var offsets: [Int: Int] = [:]
        var total = 0
        for s in start.keys.sorted(by: { (size($0), $1) > (size($1), $0) }) {
            let sz = size(s)
            let clashes = placed.filter { start[$0.slot]! <= end[s]! && start[s]! <= end[$0.slot]! }.sorted { $0.offset < $1.offset }
            var offset = 0
            for c in clashes where c.offset < offset + sz {
                offset = max(offset, c.offset + c.size)
            }
            placed.append((s, offset, sz))
            offsets[s] = offset
            total = max(total, offset + sz)
            unsharedBytes += sz
            lifetimes.append((offset, sz, start[s]!, end[s]!))
        }
        regions = steps.map { st in st.outputs.map { s in offsets[s].map { (offset: $0, type: types[s]!) } } }
        byteCount = total
    }
}

/// The arenas of one plan not in use by a run: concurrent runs each take their own.
final class ArenaPool: @unchecked Sendable {
    // @unchecked: `free` is only touched under `lock`.
    private let lock = NSLock()
    private var free: [Arena] = []
    let byteCount: Int

    init(byteCount: Int) { self.byteCount = byteCount }

    func take() -> Arena {
        lock.lock()
        defer { lock.unlock() }
        return free.popLast() ?? Arena(byteCount: byteCount)
    }

    /// Returns an arena after a run, unless a tensor still points into it.
    func give(_ arena: inout Arena?) {
        guard arena != nil, isKnownUniquelyReferenced(&arena!) else { return }
        lock.lock()
        free.append(arena!)
        lock.unlock()
        arena = nil
    }
}

extension Plan {
    /// Bytes of all arena-placed intermediates if none shared memory.
    public var intermediateBytes: Int { arena.unsharedBytes }

    /// Pairs of arena regions alive at the same step that overlap in memory (empty for a valid layout).
    public func arenaOverlaps() -> [String] {
        let l = arena.lifetimes
        var bad: [String] = []
        for i in l.indices {
            for j in l.indices where j > i {
                let (a, b) = (l[i], l[j])
                if a.start <= b.end && b.start <= a.end && a.offset < b.offset + b.size && b.offset < a.offset + a.size {
                    bad.append("\(a) overlaps \(b)")
                }
            }
        }
        return bad
    }
}
