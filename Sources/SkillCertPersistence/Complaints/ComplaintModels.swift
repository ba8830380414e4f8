import FluentKit
import Foundation
import SkillCertCore
import SQLKit

/// One appeal, complaint or report (申诉与投诉), from the public form or taken down by staff, with its handling.
public final class StoredComplaint: Model, @unchecked Sendable {
    public static let schema = "complaints"

    @ID(key: .id) public var id: UUID?
    /// The number the complainant quotes (`TS20261127-001K7QX`).
    @Field(key: "reference") public var reference: String
    /// A `ComplaintCategory` value.
    @Field(key: "category") public var category: String
    /// `public-form` or `staff`.
    @Field(key: "channel") public var channel: String
    @Field(key: "subject") public var subject: String
    @Field(key: "text") public var text: String
    @Field(key: "complainant_name") public var complainantName: String
    /// The phone or e-mail as normalised by `ContactAddress` (empty when staff took down an anonymous report).
    @Field(key: "contact") public var contact: String
    @OptionalField(key: "plan_id") public var planID: UUID?
    /// The candidate's user id.
    @OptionalField(key: "candidate_id") public var candidateID: UUID?
    @OptionalField(key: "session_id") public var sessionID: UUID?
    /// The examiner's registry member id.
    @OptionalField(key: "examiner_id") public var examinerID: UUID?
    @OptionalField(key: "assignee_id") public var assigneeID: UUID?
    @Field(key: "received_at") public var receivedAt: Date
    /// The day of intake in China time (ISO date), for date-range reports.
    @Field(key: "received_on") public var receivedOn: String
    /// The last day to answer (ISO date).
    @Field(key: "due_on") public var dueOn: String
    /// A `ComplaintStatus` value.
    @Field(key: "status") public var status: String
    /// A `ComplaintOutcome` value, once answered.
    @OptionalField(key: "outcome") public var outcome: String?
    @OptionalField(key: "reply") public var reply: String?
    @OptionalField(key: "answered_at") public var answeredAt: Date?
    @OptionalField(key: "answered_by") public var answeredBy: UUID?
    @OptionalField(key: "created_by") public var createdBy: UUID?
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    public var categoryValue: ComplaintCategory { ComplaintCategory(rawValue: category) ?? .other }
    public var statusValue: ComplaintStatus { ComplaintStatus(rawValue: status) ?? .received }
    public var outcomeValue: ComplaintOutcome? { outcome.flatMap(ComplaintOutcome.init(rawValue:)) }
    public var due: LocalDate { LocalDate(iso: dueOn) ?? .distantFuture }

    /// Unanswered after its deadline on `today`.
    public func isOverdue(on today: LocalDate) -> Bool {
        ComplaintDeadline.isOverdue(status: statusValue, due: due, today: today)
    }
}

struct CreateComplaints: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(StoredComplaint.schema)
            .id()
            .field("reference", .string, .required)
            .field("category", .string, .required)
            .field("channel", .string, .required)
            .field("subject", .string, .required)
            .field("text", .string, .required)
            .field("complainant_name", .string, .required)
            .field("contact", .string, .required)
            .field("plan_id", .uuid, .references(StoredPlan.schema, .id))
            .field("candidate_id", .uuid, .references(User.schema, .id))
            .field("session_id", .uuid, .references(ExamSession.schema, .id))
            .field("examiner_id", .uuid, .references(RegistryMember.schema, .id))
            .field("assignee_id", .uuid, .references(User.schema, .id))
            .field("received_at", .datetime, .required)
            .field("received_on", .string, .required)
            .field("due_on", .string, .required)
            .field("status", .string, .required)
            .field("outcome", .string)
            .field("reply", .string)
            .field("answered_at", .datetime)
            .field("answered_by", .uuid)
            .field("created_by", .uuid)
            .field("updated_at", .datetime, .required)
            .unique(on: "reference")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "complaints_status_due_idx").on(StoredComplaint.schema).column("status").column("due_on").run()
            try await sql.create(index: "complaints_plan_idx").on(StoredComplaint.schema).column("plan_id").run()
            try await sql.create(index: "complaints_received_on_idx").on(StoredComplaint.schema).column("received_on").run()
        }
    }

    func revert(on db: any Database) async throws {
        if let sql = db as? any SQLDatabase {
            for index in ["complaints_status_due_idx", "complaints_plan_idx", "complaints_received_on_idx"] {
                try await sql.drop(index: index).ifExists().run()
            }
        }
        try await db.schema(StoredComplaint.schema).delete()
    }
}
