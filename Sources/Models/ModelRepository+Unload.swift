import Synchronization

extension ModelRepository {
    /// Stops serving `name` in this process (the KServe repository extension's unload): `active(_:)` and
    /// `model(_:version:)` answer nil for it until `load(_:)`, so no new request or job batch starts on it.
    /// Whoever already holds a `LoadedModel` keeps running on it, so work in flight finishes. Later
    /// `reload()`s keep it unloaded; nothing on disk changes.
    /// - Throws: `ModelsError.unknownModel` when the last `reload()` did not see `name`.
    @discardableResult
    public func unload(_ name: String) throws(ModelsError) -> [ModelEvent] {
        try changes.withLock { _ throws(ModelsError) in
            try state.withLock { s throws(ModelsError) -> [ModelEvent] in
                guard var record = s[name] else { throw .unknownModel(name: name) }
                record.unloaded = true
                let events = Self.updateActive(name: name, &record)
                s[name] = record
                return events
            }
        }
    }

    /// Serves `name` again after `unload(_:)` and re-reads it from disk, verifying new or changed versions
    /// (checksums, canaries) before any of them serves: the verified hot-swap of `reload(only:)`.
    @discardableResult
    public func load(_ name: String) -> [ModelEvent] {
        changes.withLock { _ in
            state.withLock { s in s[name]?.unloaded = false }
            return reloadLocked(only: name)
        }
    }

    /// Whether `unload(_:)` took `name` out of service.
    public func isUnloaded(_ name: String) -> Bool {
        state.withLock { $0[name]?.unloaded ?? false }
    }
}
