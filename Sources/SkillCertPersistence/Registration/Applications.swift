import FluentKit
import Foundation
import SkillCertCore

/// An application to a plan at one level, with the engine's explained verdict and the reviewer's decision.
public final class StoredApplication: Model, @unchecked Sendable {
    public static let schema = "applications"

    public enum Status: String, Sendable, CaseIterable {
        case submitted
        case moreNeeded = "more-needed"
        case approved
        case rejected
        case withdrawn

        public var nameZH: String {
            switch self {
            case .submitted: "待审核"
            case .moreNeeded: "需补充材料"
            case .approved: "审核通过"
            case .rejected: "未通过"
            case .withdrawn: "已撤回"
            }
        }

        public var nameEN: String {
            switch self {
            case .submitted: "Submitted"
            case .moreNeeded: "More needed"
            case .approved: "Approved"
            case .rejected: "Rejected"
            case .withdrawn: "Withdrawn"
            }
        }
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "plan_id") public var planID: UUID
    @Field(key: "candidate_id") public var candidateID: UUID
    @Field(key: "level") public var level: Int
    @Field(key: "status") public var status: String
    @Field(key: "profile") public var profile: String
    @Field(key: "engine_eligible") public var engineEligible: Bool
    @Field(key: "engine_explanation") public var engineExplanation: String
    @OptionalField(key: "decision_reason") public var decisionReason: String?
    @OptionalField(key: "more_deadline") public var moreDeadline: String?
    @OptionalField(key: "reviewed_by") public var reviewedBy: UUID?
    @Field(key: "overridden") public var overridden: Bool
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    public var statusValue: Status { Status(rawValue: status) ?? .submitted }
}

struct CreateApplications: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(StoredApplication.schema)
            .id()
            .field("plan_id", .uuid, .required, .references(StoredPlan.schema, .id))
            .field("candidate_id", .uuid, .required, .references(User.schema, .id))
            .field("level", .int, .required)
            .field("status", .string, .required)
            .field("profile", .string, .required)
            .field("engine_eligible", .bool, .required)
            .field("engine_explanation", .string, .required)
            .field("decision_reason", .string)
            .field("more_deadline", .string)
            .field("reviewed_by", .uuid)
            .field("overridden", .bool, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(StoredApplication.schema).delete()
    }
}

/// Applications: a candidate applies to a published plan while registration is open; the eligibility engine
/// decides and explains; exam affairs approve, reject or ask for more, overriding the engine only with a reason.
public enum ApplicationStore {
    /// Submits an application, evaluated by the engine. One active application per person per plan.
    public static func apply(planID: UUID, level: Int, profile raw: RawApplicantProfile, candidate: AuditActor,
                             on db: any Database, time: any TimeSource) async throws -> StoredApplication {
        guard let candidateID = candidate.id else { throw DomainError.forbidden(code: "no_user", zh: "请先登录", en: "sign in first") }
        let plan = try await PlanStore.find(planID, on: db)
        let p = try plan.plan()
        let today = time.now().chinaLocalDate
        guard plan.statusValue == .published, today >= p.registrationOpens, today <= p.registrationCloses else {
            throw DomainError.conflict(code: "registration_closed", zh: "该计划当前不在报名时间内（\(p.registrationOpens)～\(p.registrationCloses)）",
                                       en: "registration for this plan is not open")
        }
        guard p.levels.contains(level) else {
            throw ValidationFailure([FieldError(code: "level_not_offered", field: "level", zh: "该计划不含此等级", en: "the plan does not offer this level")])
        }
        var input = raw
        input.asOf = today.description
        let parsed = try input.parse(today: today)
        let standard = try await StandardStore.find(id: plan.standardID, on: db).standard()
        guard let decision = EligibilityEngine.evaluate(parsed, standard: standard, level: Level(level)) else {
            throw DomainError.notFound(what: "level")
        }
        let json = String(decoding: try JSONEncoder().encode(input), as: UTF8.self)
        return try await AuditLog.transaction(on: db, actor: candidate, time: time) { audit in
            let active = try await StoredApplication.query(on: audit.db).filter(\.$planID == planID).filter(\.$candidateID == candidateID)
                .filter(\.$status !~ [Status.rejected.rawValue, Status.withdrawn.rawValue]).count()
            if active > 0 {
                throw DomainError.conflict(code: "already_applied", zh: "您已报名该计划，每个计划只能有一份有效报名",
                                           en: "you already have an active application for this plan")
            }
            let a = StoredApplication()
            a.planID = planID
            a.candidateID = candidateID
            a.level = level
            a.status = Status.submitted.rawValue
            a.profile = json
            a.engineEligible = decision.eligible
            a.engineExplanation = decision.explanationZH
            a.overridden = false
            a.createdAt = time.now()
            a.updatedAt = time.now()
            try await a.create(on: audit.db)
            try await audit.record(AuditEvent(action: "application.submit", targetType: "application", targetID: a.id?.uuidString,
                                              details: "plan \(plan.number) level \(level); engine: \(decision.eligible ? "eligible" : "not eligible")"))
            return a
        }
    }

    typealias Status = StoredApplication.Status

    public enum Decision: String, Sendable { case approve, reject, requestMore = "request-more" }

    /// A reviewer's decision. Approving against the engine's verdict, or rejecting an eligible applicant, needs a
    /// written reason and is marked as an override; rejecting and asking for more always need a reason.
    public static func decide(_ decision: Decision, applicationID: UUID, reason: String, deadline: LocalDate?,
                              reviewer: AuditActor, on db: any Database, time: any TimeSource) async throws {
        let text = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        try await AuditLog.transaction(on: db, actor: reviewer, time: time) { audit in
            guard let a = try await StoredApplication.find(applicationID, on: audit.db) else { throw DomainError.notFound(what: "application") }
            guard [.submitted, .moreNeeded].contains(a.statusValue) else {
                throw DomainError.conflict(code: "already_decided", zh: "该报名已处理", en: "this application has been decided")
            }
            if reviewer.id == a.candidateID {
                throw DomainError.forbidden(code: "own_application", zh: "不能审核本人的报名", en: "you cannot review your own application")
            }
            let override = (decision == .approve && !a.engineEligible) || (decision == .reject && a.engineEligible)
            if (override || decision != .approve) && text.isEmpty {
                throw ValidationFailure([.required("reason", label: override ? "与系统判定不一致的理由" : "原因")])
            }
            if decision == .requestMore {
                guard let deadline, deadline > time.now().chinaLocalDate else {
                    throw ValidationFailure([FieldError(code: "invalid_date", field: "deadline", zh: "请填写今天之后的补充材料截止日期",
                                                        en: "give a deadline after today")])
                }
                a.moreDeadline = deadline.description
            }
            let before = a.status
            a.status = (decision == .approve ? Status.approved : decision == .reject ? .rejected : .moreNeeded).rawValue
            a.decisionReason = text.isEmpty ? nil : text
            a.reviewedBy = reviewer.id
            a.overridden = a.overridden || override
            a.updatedAt = time.now()
            try await a.save(on: audit.db)
            try await audit.record(AuditEvent(action: "application.\(decision.rawValue)", targetType: "application",
                                              targetID: applicationID.uuidString, reason: text.isEmpty ? nil : text,
                                              before: before, after: a.status,
                                              details: override ? "overrides the engine's verdict" : "follows the engine's verdict"))
        }
    }
}
