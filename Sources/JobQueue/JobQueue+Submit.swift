public import Core
import Crypto
public import Foundation

extension JobQueue {
    /// Starts an upload; write its bytes, then pass it to `submit`.
    public func beginUpload(name: String? = nil) async throws(JobQueueError) -> ImageUpload {
        try await Blocking.run { [blobs] () throws(JobQueueError) in try ImageUpload(name: name, store: blobs) }
    }

    /// Accepts a job: every image's bytes are durable in the blob store before the transaction that
    /// creates the job commits, so a job that was answered is never lost. Idle workers are told at once.
    ///
    /// - Parameters:
    ///   - images: one or more uploads, in order (image `i` of the job is `images[i]`).
    ///   - model: the exact version to run.
    ///   - priority: 0...9, 9 most urgent.
    ///   - idempotencyKey: the same key with the same images, model and priority returns the earlier job
    ///     (`created == false`); with anything else it throws `.idempotencyConflict`.
    ///   - recording: runs inside the transaction that creates the job (not for a resubmission), with its
    ///     id: a module above the queue records its own rows with the job (the server, the job's owner), so
    ///     both commit or neither does.
    /// - Throws: `.queueFull` (with a retry-after estimate), `.storage` when the disk refuses the bytes
    ///   (no job is created), `.invalidArgument`.
    public func submit(_ images: [ImageUpload], model: ModelRef, priority: Int = 5, idempotencyKey: String? = nil,
                       recording: (@Sendable (any SQLTransaction, _ job: String) async throws -> Void)? = nil) async throws(JobQueueError) -> Submission {
        try await submit(items: images.map { QueueItem([$0]) }, model: model, priority: priority, idempotencyKey: idempotencyKey,
                         recording: recording)
    }

    /// `submit` for items of one or more inputs each (item `i` of the job is `items[i]`; its parts keep
    /// their order). Capacity is counted in items. An item of one part is exactly an image as `submit`
    /// queues it (the same rows, the same content hash).
    public func submit(items: [QueueItem], model: ModelRef, priority: Int = 5, idempotencyKey: String? = nil,
                       recording: (@Sendable (any SQLTransaction, _ job: String) async throws -> Void)? = nil) async throws(JobQueueError) -> Submission {
        guard !items.isEmpty else { throw .invalidArgument("a job needs at least one image") }
        if let empty = items.firstIndex(where: { $0.parts.isEmpty }) { throw .invalidArgument("item \(empty) has no input") }
        guard (0...9).contains(priority) else { throw .invalidArgument("priority must be 0...9, got \(priority)") }
        if let key = idempotencyKey, key.isEmpty || key.utf8.count > 255 {
            throw .invalidArgument("the idempotency key must have 1 to 255 bytes")
        }
        // Refuse early, before syncing bytes that no row would reference (a resubmission is answered anyway).
        let count = items.count, names = items.map { $0.parts.map(\.name) }
        try await read { tx in
            if let key = idempotencyKey,
               try await tx.scalar("SELECT EXISTS (SELECT 1 FROM jobs WHERE idempotency_key = ?) AS found", [key], as: Bool.self) == true {
                return
            }
            try await self.checkCapacity(tx, adding: count)
        }
        // fsync of every input, on the blocking executor.
        let refs = try await Blocking.run { () throws(JobQueueError) in
            try items.map { item throws(JobQueueError) in try item.parts.map { part throws(JobQueueError) in try part.commit() } }
        }
        let content = Self.contentHash(model: model, priority: priority, blobs: refs)
        let now = self.now()
        let (id, created) = try await write { tx -> (String, Bool) in
            if let key = idempotencyKey,
               let row = try await tx.fetchOne("SELECT id, content_sha256 FROM jobs WHERE idempotency_key = ?", [key])
            {
                let existing: String = row["id"]
                guard row["content_sha256"] as String == content else {
                    throw JobQueueError.idempotencyConflict(key: key, job: existing)
                }
                return (existing, false)
            }
            try await self.checkCapacity(tx, adding: count)
            let id = UUID().uuidString.lowercased()
            let seq = (try await tx.scalar("SELECT MAX(seq) AS seq FROM jobs", as: Int64.self) ?? 0) + 1
            try await tx.execute("""
                INSERT INTO jobs (id, seq, status, model_name, model_version, model_sha256, priority, idempotency_key,
                                  content_sha256, max_attempts, created_at)
                VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)
                """, [id, seq, model.name, model.version, model.sha256, priority, idempotencyKey, content,
                                 self.configuration.maxAttempts, now])
            for (i, (partNames, parts)) in zip(names, refs).enumerated() {
                try await tx.execute("""
                    INSERT INTO images (job_id, idx, name, blob, byte_count, status, ready_at)
                    VALUES (?, ?, ?, ?, ?, 'queued', ?)
                    """, [id, i, partNames[0], parts[0].sha256, parts[0].byteCount, now])
                for part in parts.indices.dropFirst() {
                    try await tx.execute("INSERT INTO image_parts (job_id, idx, part, name, blob, byte_count) VALUES (?, ?, ?, ?, ?, ?)",
                                         [id, i, part, partNames[part], parts[part].sha256, parts[part].byteCount])
                }
            }
            try await Self.auditSubmission(tx, job: id, model: model, priority: priority, images: count, content: content, now: now)
            try await recording?(tx, id)
            return (id, true)
        }
        if created { await store.notifyWork() }
        return Submission(job: try await status(id), created: created)
    }

    /// Convenience: one upload per `(name, bytes)`.
    public func submit(_ images: [(name: String?, data: Data)], model: ModelRef, priority: Int = 5, idempotencyKey: String? = nil,
                       recording: (@Sendable (any SQLTransaction, _ job: String) async throws -> Void)? = nil) async throws(JobQueueError) -> Submission {
        var uploads: [ImageUpload] = []
        for image in images {
            let upload = try await beginUpload(name: image.name)
            try await upload.write(image.data)
            uploads.append(upload)
        }
        return try await submit(uploads, model: model, priority: priority, idempotencyKey: idempotencyKey, recording: recording)
    }

    /// Throws `.queueFull` (with its retry-after estimate) when `images` more images would pass
    /// `maxQueuedImages`: the check `submit` makes, for an intake that must answer before it has a whole job
    /// (a C-STORE is answered per instance).
    public func checkCapacity(adding images: Int) async throws(JobQueueError) {
        try await read { tx in try await self.checkCapacity(tx, adding: images) }
    }

    /// Throws `.queueFull` when `adding` more images would pass `maxQueuedImages`.
    func checkCapacity(_ tx: any SQLTransaction, adding: Int) async throws {
        let waiting = try await tx.scalar("SELECT COUNT(*) AS n FROM images WHERE status IN ('queued', 'running')", as: Int.self) ?? 0
        let limit = configuration.maxQueuedImages
        guard waiting + adding > limit else { return }
        // Estimate from the last five minutes' completions how long until enough room.
        let window: Int64 = 300_000
        let done = try await tx.scalar("SELECT COUNT(*) AS n FROM images WHERE finished_at > ?", [now() - window],
                                 as: Int.self) ?? 0
        let excess = Double(waiting + adding - limit)
        let retry = done == 0 ? 30 : Int((excess / (Double(done) / 300)).rounded(.up))
        throw JobQueueError.queueFull(queued: waiting, limit: limit, retryAfterSeconds: min(max(retry, 1), 3600))
    }

    /// What an idempotent resubmission must repeat: the model, the priority and every image, in order.
    /// What an idempotent resubmission must match. Items of one part hash as images always did, so a key
    /// used before items had parts still matches.
    static func contentHash(model: ModelRef, priority: Int, blobs: [[BlobRef]]) -> String {
        var text = "model \(model.name) \(model.version) \(model.sha256)\npriority \(priority)\n"
        for item in blobs {
            guard let first = item.first else { continue }
            text += "image \(first.sha256) \(first.byteCount)\n"
            for part in item.dropFirst() { text += "part \(part.sha256) \(part.byteCount)\n" }
        }
        return SHA256.hash(data: Data(text.utf8)).hexString
    }
}
