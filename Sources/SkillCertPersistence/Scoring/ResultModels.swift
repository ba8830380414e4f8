import FluentKit
import Foundation
import SkillCertCore

/// A candidate's result for the level applied for in a plan: the score of each part, the verdict, and when it was
/// released to the candidate. After release a score changes only through a review (复核).
public final class ResultRecord: Model, @unchecked Sendable {
    public static let schema = "results"

    @ID(key: .id) public var id: UUID?
    @Field(key: "plan_id") public var planID: UUID
    @Field(key: "application_id") public var applicationID: UUID
    @Field(key: "candidate_id") public var candidateID: UUID
    @Field(key: "level") public var level: Int
    @OptionalField(key: "theory") public var theory: Double?
    @OptionalField(key: "skills") public var skills: Double?
    @OptionalField(key: "review") public var review: Double?
    /// Parts the candidate missed (comma-separated `AssessmentPartKind` values).
    @Field(key: "absent_parts") public var absentParts: String
    /// `passed`, `failed` or `incomplete`.
    @Field(key: "verdict") public var verdict: String
    /// The failing or missing parts (comma-separated).
    @Field(key: "verdict_parts") public var verdictParts: String
    /// The skills grade where the standard uses a grade scale.
    @OptionalField(key: "grade") public var grade: String?
    @Field(key: "computed_at") public var computedAt: Date
    /// The day candidates may see it (ISO date), once exam affairs releases the plan's results.
    @OptionalField(key: "released_on") public var releasedOn: String?
    @OptionalField(key: "released_by") public var releasedBy: UUID?
    /// Set when the publicity period ended without an open objection: ready for certificates.
    @Field(key: "final") public var final: Bool

    public init() {}

    public func score(_ part: AssessmentPartKind) -> Double? {
        switch part {
        case .theory: theory
        case .skills: skills
        case .comprehensiveReview: review
        }
    }

    public func setScore(_ part: AssessmentPartKind, _ value: Double?) {
        switch part {
        case .theory: theory = value
        case .skills: skills = value
        case .comprehensiveReview: review = value
        }
    }

    public var absent: Set<AssessmentPartKind> { Set(absentParts.split(separator: ",").compactMap { AssessmentPartKind(rawValue: String($0)) }) }
    public var verdictPartList: [AssessmentPartKind] { verdictParts.split(separator: ",").compactMap { AssessmentPartKind(rawValue: String($0)) } }

    /// Released and visible to the candidate on `today`.
    public func isReleased(on today: LocalDate) -> Bool {
        guard let releasedOn, let day = LocalDate(iso: releasedOn) else { return false }
        return day <= today
    }
}

/// A candidate's request for a score review (复核) of one part, and its answer.
public final class ScoreReview: Model, @unchecked Sendable {
    public static let schema = "score_reviews"

    public enum Status: String, Sendable, CaseIterable {
        case requested, assigned, answered

        public var nameZH: String {
            switch self {
            case .requested: "已申请"
            case .assigned: "复核中"
            case .answered: "已答复"
            }
        }
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "result_id") public var resultID: UUID
    @Field(key: "candidate_id") public var candidateID: UUID
    @Field(key: "part") public var part: String
    @Field(key: "request_text") public var requestText: String
    @Field(key: "requested_on") public var requestedOn: String
    @Field(key: "requested_at") public var requestedAt: Date
    /// The answer is due by this day (ISO date).
    @Field(key: "due_on") public var dueOn: String
    @Field(key: "status") public var status: String
    /// Reviewers assigned by exam affairs (JSON array of user ids).
    @Field(key: "reviewers") public var reviewers: String
    @OptionalField(key: "answer") public var answer: String?
    @OptionalField(key: "old_score") public var oldScore: Double?
    @OptionalField(key: "new_score") public var newScore: Double?
    @OptionalField(key: "answered_by") public var answeredBy: UUID?
    @OptionalField(key: "answered_at") public var answeredAt: Date?

    public init() {}

    public var statusValue: Status { Status(rawValue: status) ?? .requested }
    public var partValue: AssessmentPartKind { AssessmentPartKind(rawValue: part) ?? .theory }
    public var reviewerIDs: [UUID] { ((try? JSONDecoder().decode([UUID].self, from: Data(reviewers.utf8))) ?? []) }
    public func overdue(on today: LocalDate) -> Bool {
        statusValue != .answered && (LocalDate(iso: dueOn).map { $0 < today } ?? false)
    }
}

/// The publicity (公示) of a plan's passing candidates.
public final class PublicityRecord: Model, @unchecked Sendable {
    public static let schema = "publicities"

    @ID(key: .id) public var id: UUID?
    @Field(key: "plan_id") public var planID: UUID
    @Field(key: "started_on") public var startedOn: String
    /// The last day of the period (ISO date): it cannot end before the day after.
    @Field(key: "last_day") public var lastDay: String
    @Field(key: "published_by") public var publishedBy: UUID
    @Field(key: "published_at") public var publishedAt: Date
    /// The passing candidates listed (JSON array of result ids), fixed at publication.
    @Field(key: "result_ids") public var resultIDs: String
    @OptionalField(key: "finalized_at") public var finalizedAt: Date?
    @OptionalField(key: "finalized_by") public var finalizedBy: UUID?

    public init() {}

    public var listed: [UUID] { (try? JSONDecoder().decode([UUID].self, from: Data(resultIDs.utf8))) ?? [] }
}

/// An objection raised by anyone during a publicity period, registered, investigated and answered.
public final class ObjectionRecord: Model, @unchecked Sendable {
    public static let schema = "objections"

    public enum Status: String, Sendable, CaseIterable {
        case registered, investigating, answered

        public var nameZH: String {
            switch self {
            case .registered: "已登记"
            case .investigating: "调查中"
            case .answered: "已答复"
            }
        }
        public var isOpen: Bool { self != .answered }
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "publicity_id") public var publicityID: UUID
    /// A number the person can quote, e.g. `YY-20270301-0001`.
    @Field(key: "number") public var number: String
    @Field(key: "subject") public var subject: String
    @Field(key: "text") public var text: String
    @Field(key: "contact_name") public var contactName: String
    @Field(key: "contact") public var contact: String
    @Field(key: "received_at") public var receivedAt: Date
    @Field(key: "status") public var status: String
    @OptionalField(key: "investigation") public var investigation: String?
    @OptionalField(key: "answer") public var answer: String?
    @OptionalField(key: "handled_by") public var handledBy: UUID?
    @OptionalField(key: "answered_at") public var answeredAt: Date?

    public init() {}

    public var statusValue: Status { Status(rawValue: status) ?? .registered }
}

struct CreateResults: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(ResultRecord.schema)
            .id()
            .field("plan_id", .uuid, .required, .references(StoredPlan.schema, .id))
            .field("application_id", .uuid, .required, .references(StoredApplication.schema, .id))
            .field("candidate_id", .uuid, .required, .references(User.schema, .id))
            .field("level", .int, .required)
            .field("theory", .double)
            .field("skills", .double)
            .field("review", .double)
            .field("absent_parts", .string, .required)
            .field("verdict", .string, .required)
            .field("verdict_parts", .string, .required)
            .field("grade", .string)
            .field("computed_at", .datetime, .required)
            .field("released_on", .string)
            .field("released_by", .uuid)
            .field("final", .bool, .required)
            .unique(on: "plan_id", "application_id")
            .create()
        try await db.schema(ScoreReview.schema)
            .id()
            .field("result_id", .uuid, .required, .references(ResultRecord.schema, .id))
            .field("candidate_id", .uuid, .required, .references(User.schema, .id))
            .field("part", .string, .required)
            .field("request_text", .string, .required)
            .field("requested_on", .string, .required)
            .field("requested_at", .datetime, .required)
            .field("due_on", .string, .required)
            .field("status", .string, .required)
            .field("reviewers", .string, .required)
            .field("answer", .string)
            .field("old_score", .double)
            .field("new_score", .double)
            .field("answered_by", .uuid)
            .field("answered_at", .datetime)
            .create()
        try await db.schema(PublicityRecord.schema)
            .id()
            .field("plan_id", .uuid, .required, .references(StoredPlan.schema, .id))
            .field("started_on", .string, .required)
            .field("last_day", .string, .required)
            .field("published_by", .uuid, .required, .references(User.schema, .id))
            .field("published_at", .datetime, .required)
            .field("result_ids", .string, .required)
            .field("finalized_at", .datetime)
            .field("finalized_by", .uuid)
            .create()
        try await db.schema(ObjectionRecord.schema)
            .id()
            .field("publicity_id", .uuid, .required, .references(PublicityRecord.schema, .id))
            .field("number", .string, .required)
            .field("subject", .string, .required)
            .field("text", .string, .required)
            .field("contact_name", .string, .required)
            .field("contact", .string, .required)
            .field("received_at", .datetime, .required)
            .field("status", .string, .required)
            .field("investigation", .string)
            .field("answer", .string)
            .field("handled_by", .uuid)
            .field("answered_at", .datetime)
            .unique(on: "number")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(ObjectionRecord.schema).delete()
        try await db.schema(PublicityRecord.schema).delete()
        try await db.schema(ScoreReview.schema).delete()
        try await db.schema(ResultRecord.schema).delete()
    }
}
