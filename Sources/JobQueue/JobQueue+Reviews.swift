import Crypto
import Foundation

/// A clinician's verdict on a job's results. A job may be reviewed again: every verdict is kept, the
/// latest counts.
public struct Review: Codable, Sendable, Equatable {
    /// Increasing in the order of recording, across jobs.
    public var id: Int64
    public var job: String
    /// Agrees with the findings (true) or not (false).
    public var agree: Bool
    public var comment: String?
    /// Who decided: the API key's name over HTTP, `--reviewer` locally.
    public var reviewer: String
    /// ISO 8601 (UTC, milliseconds).
    public var createdAt: String
}

/// A succeeded job waiting for (or given) a clinician's verdict, with its stored report artifacts.
public struct ReviewCandidate: Sendable {
    public var job: JobStatus
    /// The job's artifacts called as `reviewCandidates(reportArtifact:includeReviewed:)` was asked, in image order.
    public var reports: [StoredArtifact]
    /// The latest verdict (only when reviewed jobs were asked for).
    public var latestReview: Review?
}

extension JobQueue {
    /// Longest reviewer name and comment accepted (in characters).
    static let maxReviewerLength = 200, maxCommentLength = 10_000

    /// Records a verdict on a succeeded job, and its audit row, in one transaction.
    ///
    /// - Throws: `.notFound`, `.notReviewable` (the job is not succeeded: queued, running, failed or
    ///   cancelled), `.invalidArgument` (empty or too long reviewer, too long comment).
    @discardableResult
    public func recordReview(job id: String, agree: Bool, comment: String? = nil, reviewer: String) async throws(JobQueueError) -> Review {
        let who = reviewer.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !who.isEmpty, who.count <= Self.maxReviewerLength else {
            throw .invalidArgument("the reviewer must have 1 to \(Self.maxReviewerLength) characters")
        }
        let text = comment.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        if let text, text.count > Self.maxCommentLength {
            throw .invalidArgument("the comment must have at most \(Self.maxCommentLength) characters, got \(text.count)")
        }
        return try await write { tx in
            guard let raw = try await tx.scalar("SELECT status FROM jobs WHERE id = ?", [id], as: String.self) else {
                throw JobQueueError.notFound(id: id)
            }
            let state = JobState(rawValue: raw) ?? .failed
            guard state == .succeeded else { throw JobQueueError.notReviewable(id: id, status: state) }
            let now = self.now()
            guard let reviewID = try await tx.scalar("""
                INSERT INTO reviews (job_id, agree, comment, reviewer, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id
                """, [id, agree, text, who, now], as: Int64.self) else {
                throw JobQueueError.database("recording a review returned no id")
            }
            let review = Review(id: reviewID, job: id, agree: agree, comment: text, reviewer: who,
                                createdAt: Timestamp.iso8601(now))
            var details = ["review": String(review.id), "verdict": agree ? "agree" : "disagree"]
            // The comment is free text a person typed: recorded by its hash only.
            if let text { details["commentSHA256"] = SHA256.hash(data: Data(text.utf8)).hexString }
            try await AuditTrail.append(tx, AuditEvent(kind: .jobReviewed, job: id, subject: who, details: details), now: now)
            return review
        }
    }

    /// Every verdict on a job, oldest first (the last one counts).
    public func reviews(for id: String) async throws(JobQueueError) -> [Review] {
        try await read { tx in
            guard try await tx.scalar("SELECT EXISTS (SELECT 1 FROM jobs WHERE id = ?) AS found", [id], as: Bool.self) == true else {
                throw JobQueueError.notFound(id: id)
            }
            return try await tx.fetchAll("SELECT * FROM reviews WHERE job_id = ? ORDER BY id", [id]).map(Self.review)
        }
    }

    /// Succeeded jobs not yet reviewed (with `includeReviewed`, every succeeded job and its latest verdict),
    /// most urgent first, then in arrival order, each with its artifacts called `reportArtifact`. The
    /// clinician's worklist ranks these (`Inference`'s `worklist`).
    public func reviewCandidates(reportArtifact: String, includeReviewed: Bool = false) async throws(JobQueueError) -> [ReviewCandidate] {
        let rows = try await read { tx in
            let unreviewed = includeReviewed ? "" : " AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.job_id = jobs.id)"
            var found: [(JobStatus, [SQLRow], Review?)] = []
            for row in try await tx.fetchAll("SELECT * FROM jobs WHERE status = 'succeeded'\(unreviewed) ORDER BY priority DESC, seq") {
                let id: String = row["id"]
                let latest = try await tx.fetchOne("SELECT * FROM reviews WHERE job_id = ? ORDER BY id DESC LIMIT 1", [id]).map(Self.review)
                found.append((try await Self.jobStatus(tx, row), try await Self.artifactRows(tx, job: id, named: reportArtifact), latest))
            }
            return found
        }
        var candidates: [ReviewCandidate] = []
        for (job, artifacts, latest) in rows {
            candidates.append(ReviewCandidate(job: job, reports: try await load(artifacts), latestReview: latest))
        }
        return candidates
    }

    static func review(_ row: SQLRow) -> Review {
        Review(id: row["id"], job: row["job_id"], agree: row["agree"], comment: row["comment"], reviewer: row["reviewer"],
               createdAt: Timestamp.iso8601(row["created_at"]))
    }
}
