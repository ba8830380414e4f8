import FluentKit
import Foundation
import SkillCertCore

/// One examiner's score sheet for one candidate and one task (a skills task card, or the comprehensive-review rubric).
/// Submitted sheets are locked: a change goes through a `SheetCorrection`.
public final class ScoreSheetRecord: Model, @unchecked Sendable {
    public static let schema = "score_sheets"

    @ID(key: .id) public var id: UUID?
    @Field(key: "session_id") public var sessionID: UUID
    @Field(key: "candidate_id") public var candidateID: UUID
    /// The task card's item (or `ScoringStore.reviewRubricID`).
    @Field(key: "item_id") public var itemID: UUID
    @Field(key: "examiner_id") public var examinerID: UUID
    /// `SheetMarks` as JSON.
    @Field(key: "marks") public var marks: String
    /// Out of 100.
    @Field(key: "score") public var score: Double
    @Field(key: "vetoed") public var vetoed: Bool
    /// SHA-256 names of photos of the work product in the file store (JSON array).
    @Field(key: "photos") public var photos: String
    /// The client's id for this submission: a replay after a dropped connection is recognised, not refused.
    @Field(key: "client_ref") public var clientRef: String
    @Field(key: "submitted_at") public var submittedAt: Date
    /// Set when an approved correction replaced the marks.
    @OptionalField(key: "corrected_at") public var correctedAt: Date?

    public init() {}

    public var marksValue: SheetMarks {
        get { (try? JSONDecoder().decode(SheetMarks.self, from: Data(marks.utf8))) ?? SheetMarks(points: []) }
        set { marks = String(decoding: (try? JSONEncoder().encode(newValue)) ?? Data("{}".utf8), as: UTF8.self) }
    }

    public var photoNames: [String] { (try? JSONDecoder().decode([String].self, from: Data(photos.utf8))) ?? [] }
}

/// A correction asked for after a sheet was submitted: the chief examiner approves or refuses it; the original marks
/// stay here either way.
public final class SheetCorrection: Model, @unchecked Sendable {
    public static let schema = "sheet_corrections"

    public enum Status: String, Sendable, CaseIterable {
        case pending, approved, refused

        public var nameZH: String {
            switch self {
            case .pending: "待组长审批"
            case .approved: "已批准"
            case .refused: "未批准"
            }
        }
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "sheet_id") public var sheetID: UUID
    @Field(key: "original_marks") public var originalMarks: String
    @Field(key: "original_score") public var originalScore: Double
    @Field(key: "proposed_marks") public var proposedMarks: String
    @Field(key: "proposed_score") public var proposedScore: Double
    @Field(key: "reason") public var reason: String
    @Field(key: "requested_by") public var requestedBy: UUID
    @Field(key: "requested_at") public var requestedAt: Date
    @Field(key: "status") public var status: String
    @OptionalField(key: "decided_by") public var decidedBy: UUID?
    @OptionalField(key: "decided_at") public var decidedAt: Date?
    @OptionalField(key: "note") public var note: String?

    public init() {}

    public var statusValue: Status { Status(rawValue: status) ?? .pending }
}

/// The panel's score for one candidate and task: aggregated from the sheets, or the chief examiner's decision.
public final class TaskScoreRecord: Model, @unchecked Sendable {
    public static let schema = "task_scores"

    @ID(key: .id) public var id: UUID?
    @Field(key: "session_id") public var sessionID: UUID
    @Field(key: "candidate_id") public var candidateID: UUID
    @Field(key: "item_id") public var itemID: UUID
    /// `PanelOutcome.State`.
    @Field(key: "state") public var state: String
    @OptionalField(key: "score") public var score: Double?
    @Field(key: "spread") public var spread: Double
    @Field(key: "veto_failed") public var vetoFailed: Bool
    @Field(key: "method") public var method: String
    @OptionalField(key: "arbitration_reason") public var arbitrationReason: String?
    @OptionalField(key: "decided_by") public var decidedBy: UUID?
    @OptionalField(key: "decision_reason") public var decisionReason: String?
    @OptionalField(key: "decided_at") public var decidedAt: Date?
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    public var stateValue: PanelOutcome.State { PanelOutcome.State(rawValue: state) ?? .awaitingSheets }
}

struct CreateScoring: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(ScoreSheetRecord.schema)
            .id()
            .field("session_id", .uuid, .required, .references(ExamSession.schema, .id))
            .field("candidate_id", .uuid, .required, .references(User.schema, .id))
            .field("item_id", .uuid, .required)
            .field("examiner_id", .uuid, .required, .references(User.schema, .id))
            .field("marks", .string, .required)
            .field("score", .double, .required)
            .field("vetoed", .bool, .required)
            .field("photos", .string, .required)
            .field("client_ref", .string, .required)
            .field("submitted_at", .datetime, .required)
            .field("corrected_at", .datetime)
            .unique(on: "session_id", "candidate_id", "item_id", "examiner_id")
            .create()
        try await db.schema(SheetCorrection.schema)
            .id()
            .field("sheet_id", .uuid, .required, .references(ScoreSheetRecord.schema, .id))
            .field("original_marks", .string, .required)
            .field("original_score", .double, .required)
            .field("proposed_marks", .string, .required)
            .field("proposed_score", .double, .required)
            .field("reason", .string, .required)
            .field("requested_by", .uuid, .required, .references(User.schema, .id))
            .field("requested_at", .datetime, .required)
            .field("status", .string, .required)
            .field("decided_by", .uuid)
            .field("decided_at", .datetime)
            .field("note", .string)
            .create()
        try await db.schema(TaskScoreRecord.schema)
            .id()
            .field("session_id", .uuid, .required, .references(ExamSession.schema, .id))
            .field("candidate_id", .uuid, .required, .references(User.schema, .id))
            .field("item_id", .uuid, .required)
            .field("state", .string, .required)
            .field("score", .double)
            .field("spread", .double, .required)
            .field("veto_failed", .bool, .required)
            .field("method", .string, .required)
            .field("arbitration_reason", .string)
            .field("decided_by", .uuid)
            .field("decision_reason", .string)
            .field("decided_at", .datetime)
            .field("updated_at", .datetime, .required)
            .unique(on: "session_id", "candidate_id", "item_id")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(TaskScoreRecord.schema).delete()
        try await db.schema(SheetCorrection.schema).delete()
        try await db.schema(ScoreSheetRecord.schema).delete()
    }
}
