import FluentKit
import Foundation

/// A legal hold (冻结): while active, no record of the plan or of the candidate may be disposed of.
public final class LegalHold: Model, @unchecked Sendable {
    public static let schema = "legal_holds"

    public enum Scope: String, Sendable, CaseIterable {
        case plan, candidate

        public var nameZH: String {
            switch self {
            case .plan: "认定批次"
            case .candidate: "考生"
            }
        }
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "scope") public var scope: String
    @Field(key: "target_id") public var targetID: UUID
    @Field(key: "reason") public var reason: String
    @Field(key: "placed_by") public var placedBy: UUID
    @Field(key: "placed_at") public var placedAt: Date
    @OptionalField(key: "lifted_by") public var liftedBy: UUID?
    @OptionalField(key: "lifted_at") public var liftedAt: Date?
    @OptionalField(key: "lift_reason") public var liftReason: String?

    public init() {}

    public var scopeValue: Scope { Scope(rawValue: scope) ?? .plan }
    public var isActive: Bool { liftedAt == nil }
}

/// A disposal job (销毁任务): proposed by one person listing records, approved by a different person of the
/// leadership, then run.
public final class DisposalJob: Model, @unchecked Sendable {
    public static let schema = "disposal_jobs"

    public enum Status: String, Sendable, CaseIterable {
        case proposed, approved, done

        public var nameZH: String {
            switch self {
            case .proposed: "待审批"
            case .approved: "已批准待执行"
            case .done: "已执行"
            }
        }
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "status") public var status: String
    @Field(key: "reason") public var reason: String
    @Field(key: "proposed_by") public var proposedBy: UUID
    @Field(key: "proposed_at") public var proposedAt: Date
    @OptionalField(key: "approved_by") public var approvedBy: UUID?
    @OptionalField(key: "approved_at") public var approvedAt: Date?
    @OptionalField(key: "run_by") public var runBy: UUID?
    @OptionalField(key: "run_at") public var runAt: Date?

    public init() {}

    public var statusValue: Status { Status(rawValue: status) ?? .proposed }
}

/// One record a disposal job lists.
public final class DisposalJobItem: Model, @unchecked Sendable {
    public static let schema = "disposal_job_items"

    @ID(key: .id) public var id: UUID?
    @Field(key: "job_id") public var jobID: UUID
    /// `RetentionRecordType`.
    @Field(key: "record_type") public var recordType: String
    @Field(key: "record_id") public var recordID: UUID
    @Field(key: "plan_id") public var planID: UUID
    @Field(key: "candidate_id") public var candidateID: UUID
    @Field(key: "label") public var label: String

    public init() {}
}

/// The disposal register (销毁登记): what was disposed of, by whom, under which job. The row outlives the content.
public final class DisposalRegisterEntry: Model, @unchecked Sendable {
    public static let schema = "disposal_register"

    @ID(key: .id) public var id: UUID?
    @Field(key: "job_id") public var jobID: UUID
    @Field(key: "record_type") public var recordType: String
    @Field(key: "record_id") public var recordID: UUID
    @Field(key: "plan_id") public var planID: UUID
    @Field(key: "candidate_id") public var candidateID: UUID
    @Field(key: "label") public var label: String
    /// What was removed (files and bytes, rows).
    @Field(key: "details") public var details: String
    @Field(key: "proposed_by") public var proposedBy: UUID
    @Field(key: "approved_by") public var approvedBy: UUID
    @Field(key: "disposed_by") public var disposedBy: UUID
    @Field(key: "disposed_at") public var disposedAt: Date

    public init() {}
}

struct CreateRetention: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(LegalHold.schema)
            .id()
            .field("scope", .string, .required)
            .field("target_id", .uuid, .required)
            .field("reason", .string, .required)
            .field("placed_by", .uuid, .required, .references(User.schema, .id))
            .field("placed_at", .datetime, .required)
            .field("lifted_by", .uuid, .references(User.schema, .id))
            .field("lifted_at", .datetime)
            .field("lift_reason", .string)
            .create()
        try await db.schema(DisposalJob.schema)
            .id()
            .field("status", .string, .required)
            .field("reason", .string, .required)
            .field("proposed_by", .uuid, .required, .references(User.schema, .id))
            .field("proposed_at", .datetime, .required)
            .field("approved_by", .uuid, .references(User.schema, .id))
            .field("approved_at", .datetime)
            .field("run_by", .uuid, .references(User.schema, .id))
            .field("run_at", .datetime)
            .create()
        try await db.schema(DisposalJobItem.schema)
            .id()
            .field("job_id", .uuid, .required, .references(DisposalJob.schema, .id))
            .field("record_type", .string, .required)
            .field("record_id", .uuid, .required)
            .field("plan_id", .uuid, .required, .references(StoredPlan.schema, .id))
            .field("candidate_id", .uuid, .required)
            .field("label", .string, .required)
            .unique(on: "job_id", "record_type", "record_id")
            .create()
        try await db.schema(DisposalRegisterEntry.schema)
            .id()
            .field("job_id", .uuid, .required, .references(DisposalJob.schema, .id))
            .field("record_type", .string, .required)
            .field("record_id", .uuid, .required)
            .field("plan_id", .uuid, .required, .references(StoredPlan.schema, .id))
            .field("candidate_id", .uuid, .required)
            .field("label", .string, .required)
            .field("details", .string, .required)
            .field("proposed_by", .uuid, .required)
            .field("approved_by", .uuid, .required)
            .field("disposed_by", .uuid, .required)
            .field("disposed_at", .datetime, .required)
            .unique(on: "record_type", "record_id")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(DisposalRegisterEntry.schema).delete()
        try await db.schema(DisposalJobItem.schema).delete()
        try await db.schema(DisposalJob.schema).delete()
        try await db.schema(LegalHold.schema).delete()
    }
}
