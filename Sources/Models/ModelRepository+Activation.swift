import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ModelRepository {
    /// Pins `version` (writes `ACTIVE` atomically: a temporary file renamed over it) and serves it.
    /// Refuses versions that are unknown to the last `reload()` or were refused.
    @discardableResult
    public func activate(_ name: String, version: Int) throws(ModelsError) -> [ModelEvent] {
        try changes.withLock { _ throws(ModelsError) in try activateLocked(name, version: version) }
    }

    /// Activates the highest verified version below the active one (and pins it).
    @discardableResult
    public func rollback(_ name: String) throws(ModelsError) -> [ModelEvent] {
        try changes.withLock { _ throws(ModelsError) in
            guard let record = state.withLock({ $0[name] }) else { throw .unknownModel(name: name) }
            let below = record.versions.filter { $0.value.loaded != nil && $0.key < (record.active ?? Int.max) }.keys
            guard record.active != nil, let target = below.max() else {
                throw .noEarlierVersion(name: name, active: record.active)
            }
            return try activateLocked(name, version: target)
        }
    }

    func activateLocked(_ name: String, version: Int) throws(ModelsError) -> [ModelEvent] {
        guard let record = state.withLock({ $0[name] }) else { throw .unknownModel(name: name) }
        guard let v = record.versions[version] else { throw .unknownVersion(name: name, version: version) }
        guard v.loaded != nil else { throw .refused(name: name, version: version, reason: v.refusal ?? "not verified") }
        try Self.writeAtomically(Data("\(version)\n".utf8), to: root.appendingPathComponent(name).appendingPathComponent("ACTIVE"))
        return state.withLock { s -> [ModelEvent] in
            guard var r = s[name] else { return [] }
            r.pinned = version
            let events = Self.updateActive(name: name, &r)
            s[name] = r
            return events
        }
    }

    /// Writes a temporary file beside `url`, then renames it over `url` (readers see the old or the new file).
    static func writeAtomically(_ data: Data, to url: URL) throws(ModelsError) {
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do { try data.write(to: tmp) } catch {
            throw .io(path: tmp.path, reason: (error as NSError).localizedDescription)
        }
        guard rename(tmp.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw .io(path: url.path, reason: reason)
        }
    }
}
