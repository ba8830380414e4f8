import FluentKit
import Foundation
import SkillCertCore

/// A stored certification plan. The plan itself is kept as canonical JSON; status and dates are columns.
public final class StoredPlan: Model, @unchecked Sendable {
    public static let schema = "plans"

    @ID(key: .id) public var id: UUID?
    /// A short public number, e.g. `2026-003`.
    @Field(key: "number") public var number: String
    @Field(key: "standard_id") public var standardID: UUID
    @Field(key: "title") public var title: String
    @Field(key: "status") public var status: String
    @Field(key: "body") public var body: String
    @Field(key: "created_by") public var createdBy: UUID
    /// Everyone who drafted or edited the plan (comma-separated ids): none of them may approve it.
    @Field(key: "editors") public var editors: String
    @OptionalField(key: "approved_by") public var approvedBy: UUID?
    @OptionalField(key: "published_at") public var publishedAt: Date?
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    public var statusValue: PlanStatus { PlanStatus(rawValue: status) ?? .draft }

    public func plan() throws -> CertificationPlan {
        let d = JSONDecoder()
        return try d.decode(CertificationPlan.self, from: Data(body.utf8))
    }

    static func encode(_ p: CertificationPlan) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(p), as: UTF8.self)
    }
}

/// A dated public notice of a change to a published plan.
public final class PlanAmendment: Model, @unchecked Sendable {
    public static let schema = "plan_amendments"

    @ID(key: .id) public var id: UUID?
    @Field(key: "plan_id") public var planID: UUID
    @Field(key: "published_at") public var publishedAt: Date
    @Field(key: "summary") public var summary: String
    @Field(key: "changes") public var changes: String

    public init() {}
}

struct CreatePlans: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(StoredPlan.schema)
            .id()
            .field("number", .string, .required)
            .field("standard_id", .uuid, .required, .references(StoredStandard.schema, .id))
            .field("title", .string, .required)
            .field("status", .string, .required)
            .field("body", .string, .required)
            .field("created_by", .uuid, .required)
            .field("editors", .string, .required)
            .field("approved_by", .uuid)
            .field("published_at", .datetime)
            .field("updated_at", .datetime, .required)
            .unique(on: "number")
            .create()
        try await db.schema(PlanAmendment.schema)
            .id()
            .field("plan_id", .uuid, .required, .references(StoredPlan.schema, .id))
            .field("published_at", .datetime, .required)
            .field("summary", .string, .required)
            .field("changes", .string, .required)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(PlanAmendment.schema).delete()
        try await db.schema(StoredPlan.schema).delete()
    }
}

/// Plans: drafting, approval, publication, and amendments after publication.
public enum PlanStore {
    static func validate(_ plan: CertificationPlan, on db: any Database) async throws -> UUID {
        guard let standardID = UUID(uuidString: plan.standardID), let row = try await StoredStandard.find(standardID, on: db),
              row.statusValue == .inUse else {
            throw ValidationFailure([FieldError(code: "unknown_standard", field: "standardID", zh: "请选择使用中的职业技能标准",
                                                en: "choose a standard in use")])
        }
        let s = try row.standard()
        let parts = Set(s.levels.filter { plan.levels.contains($0.level.number) }.flatMap { $0.parts.map(\.part) })
        let problems = plan.problems(offeredLevels: Set(s.offeredLevels.map(\.number)), parts: parts, workTypes: s.occupation.workTypes)
        if !problems.isEmpty { throw ValidationFailure(problems) }
        return standardID
    }

    /// Drafts a new plan with the next number of its registration year.
    public static func create(_ plan: CertificationPlan, actor: AuditActor, on db: any Database,
                              time: any TimeSource) async throws -> StoredPlan {
        let standardID = try await validate(plan, on: db)
        guard let userID = actor.id else { throw DomainError.forbidden(code: "no_user", zh: "需要登录用户", en: "sign in first") }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let year = String(format: "%04d", plan.registrationOpens.year)
            let numbers = try await StoredPlan.query(on: audit.db).filter(\.$number =~ "\(year)-").all(\.$number)
            let last = numbers.compactMap { Int($0.dropFirst(5)) }.max() ?? 0
            let row = StoredPlan()
            row.number = "\(year)-" + String(format: "%03d", last + 1)
            row.standardID = standardID
            row.title = plan.title
            row.status = PlanStatus.draft.rawValue
            row.body = try StoredPlan.encode(plan)
            row.createdBy = userID
            row.editors = userID.uuidString
            row.updatedAt = time.now()
            try await row.create(on: audit.db)
            try await audit.record(AuditEvent(action: "plan.create", targetType: "plan", targetID: row.id?.uuidString,
                                              before: CertificationPlan?.none, after: plan, details: "\(row.number) \(plan.title)"))
            return row
        }
    }

    /// A plan by its number (`2026-001`) or id.
    public static func find(reference: String, on db: any Database) async throws -> StoredPlan? {
        if let id = UUID(uuidString: reference), let row = try await StoredPlan.find(id, on: db) { return row }
        return try await StoredPlan.query(on: db).filter(\.$number == reference).first()
    }

    public static func find(_ id: UUID, on db: any Database) async throws -> StoredPlan {
        guard let row = try await StoredPlan.find(id, on: db) else { throw DomainError.notFound(what: "plan") }
        return row
    }

    /// Edits a plan before it is published; after approval an edit sends it back to draft.
    public static func update(id: UUID, plan: CertificationPlan, actor: AuditActor, on db: any Database,
                              time: any TimeSource) async throws {
        let standardID = try await validate(plan, on: db)
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let row = try await StoredPlan.find(id, on: audit.db) else { throw DomainError.notFound(what: "plan") }
            guard [.draft, .submitted, .approved].contains(row.statusValue) else {
                throw DomainError.conflict(code: "plan_published", zh: "已发布的计划不能直接修改，只能发布变更公告",
                                           en: "a published plan cannot be edited; publish an amendment")
            }
            let before = try row.plan()
            row.standardID = standardID
            row.title = plan.title
            row.body = try StoredPlan.encode(plan)
            row.status = PlanStatus.draft.rawValue
            row.approvedBy = nil
            if let editor = actor.id, !row.editors.contains(editor.uuidString) { row.editors += ",\(editor.uuidString)" }
            row.updatedAt = time.now()
            try await row.save(on: audit.db)
            try await audit.record(AuditEvent(action: "plan.update", targetType: "plan", targetID: id.uuidString,
                                              before: before, after: plan, details: row.number))
        }
    }

    public enum Action: String, Sendable, CaseIterable { case submit, approve, reject, publish, close }

    /// Moves a plan along: coordination submits, leadership (not the drafter) approves or rejects, coordination
    /// publishes an approved plan, and closes a published one.
    public static func act(_ action: Action, id: UUID, reason: String?, actor: AuditActor, on db: any Database,
                           time: any TimeSource) async throws {
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let row = try await StoredPlan.find(id, on: audit.db) else { throw DomainError.notFound(what: "plan") }
            let from = row.statusValue
            let to: PlanStatus
            switch (action, from) {
            case (.submit, .draft): to = .submitted
            case (.approve, .submitted):
                if let me = actor.id, me == row.createdBy || row.editors.contains(me.uuidString) {
                    throw DomainError.forbidden(code: "drafter_cannot_approve", zh: "起草或修改过该计划的人不能审批它",
                                                en: "whoever drafted or edited the plan cannot approve it")
                }
                to = .approved
                row.approvedBy = actor.id
            case (.reject, .submitted):
                if (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                    throw ValidationFailure([.required("reason", label: "退回原因")])
                }
                to = .draft
            case (.publish, .approved):
                to = .published
                row.publishedAt = time.now()
            case (.close, .published): to = .closed
            default:
                throw DomainError.conflict(code: "invalid_transition", zh: "当前状态“\(from.nameZH)”不能执行此操作",
                                           en: "\(action.rawValue) is not possible from \(from.rawValue)")
            }
            row.status = to.rawValue
            row.updatedAt = time.now()
            try await row.save(on: audit.db)
            try await audit.record(AuditEvent(action: "plan.\(action.rawValue)", targetType: "plan", targetID: id.uuidString,
                                              reason: reason?.isEmpty == true ? nil : reason, before: from.rawValue,
                                              after: to.rawValue, details: "\(row.number): \(from.rawValue) → \(to.rawValue)"))
        }
    }

    /// Changes a published plan in the open: the change takes effect with a dated public notice that says what changed.
    public static func amend(id: UUID, plan: CertificationPlan, summary: String, actor: AuditActor, on db: any Database,
                             time: any TimeSource) async throws {
        if summary.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationFailure([.required("summary", label: "变更说明")])
        }
        _ = try await validate(plan, on: db)
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let row = try await StoredPlan.find(id, on: audit.db) else { throw DomainError.notFound(what: "plan") }
            guard row.statusValue == .published else {
                throw DomainError.conflict(code: "not_published", zh: "只有已发布的计划需要变更公告，未发布的计划可直接修改",
                                           en: "only a published plan is amended; edit an unpublished plan directly")
            }
            let before = try row.plan()
            guard before.standardID == plan.standardID else {
                throw ValidationFailure([FieldError(code: "standard_changed", field: "standardID",
                                                    zh: "发布后不能更换职业技能标准", en: "the standard cannot change after publication")])
            }
            let amendment = PlanAmendment()
            amendment.planID = id
            amendment.publishedAt = time.now()
            amendment.summary = summary
            amendment.changes = describeChanges(before, plan).joined(separator: "\n")
            try await amendment.create(on: audit.db)
            row.title = plan.title
            row.body = try StoredPlan.encode(plan)
            row.updatedAt = time.now()
            try await row.save(on: audit.db)
            try await audit.record(AuditEvent(action: "plan.amend", targetType: "plan", targetID: id.uuidString, reason: summary,
                                              before: before, after: plan, details: amendment.changes))
        }
    }

    /// Human-readable lines for what changed between two versions of a plan.
    public static func describeChanges(_ a: CertificationPlan, _ b: CertificationPlan) -> [String] {
        var out: [String] = []
        func note(_ label: String, _ x: String, _ y: String) { if x != y { out.append("\(label)：\(x) → \(y)") } }
        note("计划名称", a.title, b.title)
        note("工种", a.workType ?? "--", b.workType ?? "--")
        note("等级", a.levels.map { Level($0).shortName }.joined(separator: "、"), b.levels.map { Level($0).shortName }.joined(separator: "、"))
        note("报名时间", "\(a.registrationOpens)～\(a.registrationCloses)", "\(b.registrationOpens)～\(b.registrationCloses)")
        note("考试日期", a.examDates.map { "\($0.part.nameZH) \($0.date)" }.joined(separator: "，"),
             b.examDates.map { "\($0.part.nameZH) \($0.date)" }.joined(separator: "，"))
        note("考点", a.venues.joined(separator: "、"), b.venues.joined(separator: "、"))
        note("收费", "\(a.feeYuan) 元", "\(b.feeYuan) 元")
        note("计划人数", "\(a.capacity)", "\(b.capacity)")
        if a.materials != b.materials { out.append("申报材料要求已更新") }
        if a.notes != b.notes { out.append("其他说明已更新") }
        return out
    }

    /// Published (and closed) plans, newest first, for the public announcements.
    public static func published(on db: any Database) async throws -> [StoredPlan] {
        try await StoredPlan.query(on: db).filter(\.$status ~~ [PlanStatus.published.rawValue, PlanStatus.closed.rawValue])
            .sort(\.$publishedAt, .descending).all()
    }

    public static func amendments(of id: UUID, on db: any Database) async throws -> [PlanAmendment] {
        try await PlanAmendment.query(on: db).filter(\.$planID == id).sort(\.$publishedAt).all()
    }
}
