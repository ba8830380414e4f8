import FluentKit
import Foundation
import SkillCertCore

/// One candidate's computer-based theory exam in one session: the paper form drawn for them, the server-owned
/// clock, the status, and (after submission) the score. The candidate's client holds a token whose hash is kept.
public final class ExamAttempt: Model, @unchecked Sendable {
    public static let schema = "exam_attempts"

    /// How an attempt ended.
    public enum Ending: String, Sendable {
        case candidate, clock, invigilator
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "session_id") public var sessionID: UUID
    @Field(key: "seat_id") public var seatID: UUID
    @Field(key: "candidate_id") public var candidateID: UUID
    @Field(key: "paper_id") public var paperID: UUID
    @Field(key: "status") public var status: String
    @Field(key: "scheduled_end") public var scheduledEnd: Date
    @Field(key: "extension_seconds") public var extensionSeconds: Int
    @Field(key: "paused_seconds") public var pausedSeconds: Double
    @OptionalField(key: "paused_at") public var pausedAt: Date?
    @OptionalField(key: "token_hash") public var tokenHash: String?
    /// The invigilator allowed the next sign-in to take over (a crashed browser, another machine).
    @Field(key: "resume_allowed") public var resumeAllowed: Bool
    @OptionalField(key: "started_at") public var startedAt: Date?
    @OptionalField(key: "last_save_at") public var lastSaveAt: Date?
    @OptionalField(key: "last_seen_at") public var lastSeenAt: Date?
    @OptionalField(key: "submitted_at") public var submittedAt: Date?
    @OptionalField(key: "ended_by") public var endedBy: String?
    @OptionalField(key: "end_reason") public var endReason: String?
    /// Out of 100; fill-in answers waiting for a marker count as nothing until marked.
    @OptionalField(key: "score") public var score: Double?
    @Field(key: "pending_review") public var pendingReview: Int
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    public var statusValue: AttemptStatus { AttemptStatus(rawValue: status) ?? .notStarted }

    public var clock: AttemptClock {
        get { AttemptClock(scheduledEnd: scheduledEnd, extensionSeconds: extensionSeconds, pausedSeconds: pausedSeconds, pausedAt: pausedAt) }
        set {
            scheduledEnd = newValue.scheduledEnd
            extensionSeconds = newValue.extensionSeconds
            pausedSeconds = newValue.pausedSeconds
            pausedAt = newValue.pausedAt
        }
    }
}

/// The saved answer to one item of an attempt, with the client's sequence number of the change that produced it.
public final class ExamAnswer: Model, @unchecked Sendable {
    public static let schema = "exam_answers"

    @ID(key: .id) public var id: UUID?
    @Field(key: "attempt_id") public var attemptID: UUID
    @Field(key: "item_id") public var itemID: UUID
    /// A JSON array of strings: option indexes (original order) or the fill-in text.
    @Field(key: "response") public var response: String
    @Field(key: "seq") public var seq: Int
    @Field(key: "saved_at") public var savedAt: Date
    /// After grading: the points given, and whether a marker must still decide (fill-in answers off the list).
    @OptionalField(key: "awarded") public var awarded: Double?
    @Field(key: "needs_review") public var needsReview: Bool
    @OptionalField(key: "reviewed_by") public var reviewedBy: UUID?

    public init() {}

    public var responseValues: [String] { (try? JSONDecoder().decode([String].self, from: Data(response.utf8))) ?? [] }
}

/// A paper form used by a computer-based session; candidates are spread over the forms by seat.
public final class SessionPaper: Model, @unchecked Sendable {
    public static let schema = "session_papers"

    @ID(key: .id) public var id: UUID?
    @Field(key: "session_id") public var sessionID: UUID
    @Field(key: "paper_id") public var paperID: UUID

    public init() {}
}

struct CreateExamAttempts: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(ExamSession.schema).field("session_password", .string).update()
        try await db.schema(SessionPaper.schema)
            .id()
            .field("session_id", .uuid, .required, .references(ExamSession.schema, .id))
            .field("paper_id", .uuid, .required, .references(StoredPaper.schema, .id))
            .unique(on: "session_id", "paper_id")
            .create()
        try await db.schema(ExamAttempt.schema)
            .id()
            .field("session_id", .uuid, .required, .references(ExamSession.schema, .id))
            .field("seat_id", .uuid, .required, .references(SeatAssignment.schema, .id))
            .field("candidate_id", .uuid, .required, .references(User.schema, .id))
            .field("paper_id", .uuid, .required, .references(StoredPaper.schema, .id))
            .field("status", .string, .required)
            .field("scheduled_end", .datetime, .required)
            .field("extension_seconds", .int, .required)
            .field("paused_seconds", .double, .required)
            .field("paused_at", .datetime)
            .field("token_hash", .string)
            .field("resume_allowed", .bool, .required)
            .field("started_at", .datetime)
            .field("last_save_at", .datetime)
            .field("last_seen_at", .datetime)
            .field("submitted_at", .datetime)
            .field("ended_by", .string)
            .field("end_reason", .string)
            .field("score", .double)
            .field("pending_review", .int, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "session_id", "candidate_id")
            .unique(on: "token_hash")
            .create()
        try await db.schema(ExamAnswer.schema)
            .id()
            .field("attempt_id", .uuid, .required, .references(ExamAttempt.schema, .id))
            .field("item_id", .uuid, .required)
            .field("response", .string, .required)
            .field("seq", .int, .required)
            .field("saved_at", .datetime, .required)
            .field("awarded", .double)
            .field("needs_review", .bool, .required)
            .field("reviewed_by", .uuid)
            .unique(on: "attempt_id", "item_id")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(ExamAnswer.schema).delete()
        try await db.schema(ExamAttempt.schema).delete()
        try await db.schema(SessionPaper.schema).delete()
        try await db.schema(ExamSession.schema).deleteField("session_password").update()
    }
}

/// A paper-based theory score for one candidate in one session: keyed in twice by two people (and settled by a
/// third on a mismatch), or read from an optical reader's answer sheet (`source` = `omr`, with the marks read).
public final class PaperScore: Model, @unchecked Sendable {
    public static let schema = "paper_scores"

    public enum Source: String, Sendable {
        case manual, omr
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "session_id") public var sessionID: UUID
    @Field(key: "candidate_id") public var candidateID: UUID
    @Field(key: "source") public var source: String
    @OptionalField(key: "first_score") public var firstScore: Double?
    @OptionalField(key: "first_by") public var firstBy: UUID?
    @OptionalField(key: "second_score") public var secondScore: Double?
    @OptionalField(key: "second_by") public var secondBy: UUID?
    @OptionalField(key: "resolved_score") public var resolvedScore: Double?
    @OptionalField(key: "resolved_by") public var resolvedBy: UUID?
    @OptionalField(key: "resolve_reason") public var resolveReason: String?
    /// The sheet's paper form and the marks read, item by item in the paper's order (JSON), for an `omr` score.
    @OptionalField(key: "paper_id") public var paperID: UUID?
    @OptionalField(key: "marks") public var marks: String?
    /// The score that counts, out of 100, once settled.
    @OptionalField(key: "final_score") public var finalScore: Double?
    @Field(key: "state") public var state: String
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    public var entries: DoubleEntry {
        get {
            DoubleEntry(first: zip(firstScore, firstBy).map(DoubleEntry.Entry.init), second: zip(secondScore, secondBy).map(DoubleEntry.Entry.init),
                        resolution: zip(resolvedScore, resolvedBy).map(DoubleEntry.Entry.init))
        }
        set {
            (firstScore, firstBy) = (newValue.first?.score, newValue.first?.by)
            (secondScore, secondBy) = (newValue.second?.score, newValue.second?.by)
            (resolvedScore, resolvedBy) = (newValue.resolution?.score, newValue.resolution?.by)
            finalScore = newValue.finalScore
            state = newValue.state.rawValue
        }
    }

    private func zip(_ score: Double?, _ by: UUID?) -> (Double, UUID)? {
        guard let score, let by else { return nil }
        return (score, by)
    }
}

struct CreatePaperScores: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(PaperScore.schema)
            .id()
            .field("session_id", .uuid, .required, .references(ExamSession.schema, .id))
            .field("candidate_id", .uuid, .required, .references(User.schema, .id))
            .field("source", .string, .required)
            .field("first_score", .double)
            .field("first_by", .uuid)
            .field("second_score", .double)
            .field("second_by", .uuid)
            .field("resolved_score", .double)
            .field("resolved_by", .uuid)
            .field("resolve_reason", .string)
            .field("paper_id", .uuid)
            .field("marks", .string)
            .field("final_score", .double)
            .field("state", .string, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "session_id", "candidate_id")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(PaperScore.schema).delete()
    }
}
