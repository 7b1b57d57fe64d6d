public import Engine
public import Foundation
import Synchronization

/// The model repository on disk (docs/ARCHITECTURE.md §3.3): `<root>/<name>/<version>/{model.onnx, model.json}`
/// and an optional `<root>/<name>/ACTIVE` pin. A version serves only after `reload()` verified it
/// (checksums, signature, canaries); one that fails is refused with the reason and the version that served
/// before keeps serving. The active version is the pin when it is verified, else the highest verified one.
///
/// Nothing is read at `init`: call `reload()` to scan, and again to pick up new or changed versions.
public final class ModelRepository: Sendable {
    /// The folder holding one folder per model name.
    public let root: URL
    public let options: CompileOptions
    /// When set, every version is verified in a child process first (`VerifierIsolation`).
    public let isolation: VerifierIsolation?

    struct VersionRecord: Sendable {
        var fingerprint: [String]
        var loaded: LoadedModel?
        var refusal: String?
    }

    struct ModelRecord: Sendable {
        var versions: [Int: VersionRecord] = [:]
        var pinned: Int?
        var active: Int?
        /// Set by `unload(_:)`: no version serves until `load(_:)`, whatever is verified.
        var unloaded = false

        /// The pin when verified, else the highest verified version; nil while unloaded.
        func choose() -> Int? {
            if unloaded { return nil }
            if let p = pinned, versions[p]?.loaded != nil { return p }
            return versions.filter { $0.value.loaded != nil }.keys.max()
        }
    }

    let state = Mutex<[String: ModelRecord]>([:])
    /// Serialises reloads, activations and rollbacks (verification runs outside `state`).
    let changes = Mutex<Void>(())

    public init(root: URL, options: CompileOptions = .init(), isolation: VerifierIsolation? = nil) {
        self.root = root
        self.options = options
        self.isolation = isolation
    }

    /// Scans the disk (every model, or only `name`): verifies each new or changed version, forgets removed
    /// ones, re-reads `ACTIVE` pins and recomputes which version serves. Returns what changed.
    @discardableResult
    public func reload(only name: String? = nil) -> [ModelEvent] {
        changes.withLock { _ in reloadLocked(only: name) }
    }

    func reloadLocked(only: String?) -> [ModelEvent] {
        if let only, !Self.isValidName(only) { return [] }
        var events: [ModelEvent] = []
        let names = only.map { [$0] } ?? Self.subfolders(of: root).filter { Self.isValidName($0) }
        let known = state.withLock { $0 }
        var updated = known
        if only == nil {
            for gone in known.keys where !names.contains(gone) {
                for v in known[gone]!.versions.keys.sorted() { events.append(.removed(name: gone, version: v)) }
                if let a = known[gone]!.active { events.append(.deactivated(name: gone, previous: a)) }
                updated[gone] = nil
            }
        }
        for name in names.sorted() {
            let folder = root.appendingPathComponent(name)
            var record = known[name] ?? ModelRecord()
            let onDisk = Self.versionFolders(in: folder)
            for v in record.versions.keys.sorted() where !onDisk.contains(v) {
                record.versions[v] = nil
                events.append(.removed(name: name, version: v))
            }
            for v in onDisk.sorted() {
                let dir = folder.appendingPathComponent(String(v))
                let fingerprint = Self.fingerprint(of: dir)
                if let old = record.versions[v], old.fingerprint == fingerprint { continue }
                do {
                    let loaded = try verifyVersion(at: dir, name: name, version: v)
                    record.versions[v] = VersionRecord(fingerprint: fingerprint, loaded: loaded)
                    events.append(.verified(name: name, version: v))
                } catch {
                    record.versions[v] = VersionRecord(fingerprint: fingerprint, refusal: error.description)
                    events.append(.refused(name: name, version: v, reason: error.description))
                }
            }
            record.pinned = Self.readPin(folder)
            if record.versions.isEmpty && !FileManager.default.fileExists(atPath: folder.path) {
                if let a = record.active { events.append(.deactivated(name: name, previous: a)) }
                updated[name] = nil
                continue
            }
            events += Self.updateActive(name: name, &record)
            updated[name] = record
        }
        state.withLock { $0 = updated }
        return events
    }

    static func updateActive(name: String, _ record: inout ModelRecord) -> [ModelEvent] {
        let previous = record.active
        record.active = record.choose()
        guard record.active != previous else { return [] }
        if let a = record.active { return [.activated(name: name, version: a, previous: previous)] }
        return previous.map { [.deactivated(name: name, previous: $0)] } ?? []
    }

    /// Every model known to the last `reload()`, plus version folders on disk it has not checked yet
    /// (`unverified`), sorted by name.
    public func models() -> [ModelStatus] {
        let records = state.withLock { $0 }
        return records.keys.sorted().map { name in
            let r = records[name]!
            var versions = r.versions.map { v, rec -> VersionStatus in
                if let m = rec.loaded {
                    return VersionStatus(version: v, state: .verified, sha256: m.sha256, task: m.manifest.task)
                }
                return VersionStatus(version: v, state: .refused(reason: rec.refusal ?? "unknown"), sha256: nil, task: nil)
            }
            for v in Self.versionFolders(in: root.appendingPathComponent(name)) where r.versions[v] == nil {
                versions.append(VersionStatus(version: v, state: .unverified, sha256: nil, task: nil))
            }
            return ModelStatus(name: name, versions: versions.sorted { $0.version < $1.version },
                               active: r.active, pinned: r.pinned, unloaded: r.unloaded)
        }
    }

    /// The version serving `name`, or nil when none is verified.
    public func active(_ name: String) -> LoadedModel? {
        state.withLock { s in s[name].flatMap { r in r.active.flatMap { r.versions[$0]?.loaded } } }
    }

    /// A verified version (nil when unknown or refused, or while the model is unloaded).
    public func model(_ name: String, version: Int) -> LoadedModel? {
        state.withLock { s in s[name].flatMap { $0.unloaded ? nil : $0.versions[version]?.loaded } }
    }

    /// Why `version` was refused (nil when verified or unknown).
    public func refusal(_ name: String, version: Int) -> String? {
        state.withLock { $0[name]?.versions[version]?.refusal }
    }
}
