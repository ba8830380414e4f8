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
    /// The employer at submission, for filtering the queue.
    @Field(key: "employer") public var employer: String
    @Field(key: "payment_status") public var paymentStatus: String
    @OptionalField(key: "receipt_number") public var receiptNumber: String?
    /// The batch file this application came from, for batch registrations.
    @OptionalField(key: "batch_id") public var batchID: UUID?
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
    /// A file a candidate attaches: the material it stands for, its name as uploaded, and its bytes.
    public struct Upload: Sendable {
        public var material: String
        public var fileName: String
        public var data: Data

        public init(material: String, fileName: String, data: Data) {
            self.material = material
            self.fileName = fileName
            self.data = data
        }
    }

    /// The profile the engine evaluates: the candidate's recorded background with the birth date from their ID.
    public static func applicantProfile(of candidate: CandidateProfile, asOf: LocalDate) throws -> RawApplicantProfile {
        var raw = try candidate.background.map { try JSONDecoder().decode(RawApplicantProfile.self, from: Data($0.utf8)) }
            ?? RawApplicantProfile()
        raw.asOf = asOf.description
        raw.birthDate = candidate.birthDate ?? raw.birthDate
        return raw
    }

    /// Submits an application with its materials, evaluated by the engine against the candidate's profile.
    /// One active application per person per plan; every material the plan lists for the level must be attached.
    public static func apply(planID: UUID, level: Int, uploads: [Upload], candidate: AuditActor, files: any FileStore,
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
        guard let profile = try await CandidateProfile.query(on: db).filter(\.$userID == candidateID).first(),
              profile.idNumberHash != nil else {
            throw DomainError.conflict(code: "profile_incomplete", zh: "请先在“个人信息”中填写证件号码等信息，再报名",
                                       en: "complete your profile (ID document) before applying")
        }
        guard profile.photoKey != nil else {
            throw DomainError.conflict(code: "photo_missing", zh: "请先在“个人信息”中上传 1 寸证件照（准考证和证书需要），再报名",
                                       en: "upload your photo on the profile page before applying")
        }
        let required = p.materials.first { $0.level == level }?.items ?? []
        let maxBytes = try await SettingsStore.value(.materialMaxKB, on: db) * 1024
        var problems: [FieldError] = []
        var checked: [(Upload, ContentKind)] = []
        for (i, name) in required.enumerated() where !uploads.contains(where: { $0.material == name && !$0.data.isEmpty }) {
            problems.append(FieldError(code: "required", field: "material[\(i)]", zh: "请上传“\(name)”", en: "attach \(name)"))
        }
        for (i, upload) in uploads.enumerated() where !upload.data.isEmpty {
            do { checked.append((upload, try UploadRules.material(upload.data, fileName: upload.fileName, maxBytes: maxBytes,
                                                                  field: "material[\(i)]"))) }
            catch let failure as ValidationFailure { problems += failure.errors }
        }
        if !problems.isEmpty { throw ValidationFailure(problems) }
        let input = try applicantProfile(of: profile, asOf: today)
        let parsed = try input.parse(today: today)
        let standard = try await StandardStore.find(id: plan.standardID, on: db).standard()
        guard let decision = EligibilityEngine.evaluate(parsed, standard: standard, level: Level(level)) else {
            throw DomainError.notFound(what: "level")
        }
        let json = String(decoding: try JSONEncoder().encode(input), as: UTF8.self)
        // Files first: content-addressed, so a failed transaction leaves at most an unreferenced file behind.
        var stored: [(Upload, ContentKind, String)] = []
        for (upload, kind) in checked { stored.append((upload, kind, try await files.put(upload.data))) }
        let storedFiles = stored
        return try await AuditLog.transaction(on: db, actor: candidate, time: time) { audit in
            let active = try await StoredApplication.query(on: audit.db).filter(\.$planID == planID).filter(\.$candidateID == candidateID)
                .filter(\.$status !~ [Status.rejected.rawValue, Status.withdrawn.rawValue]).count()
            if active > 0 {
                throw DomainError.conflict(code: "already_applied", zh: "您已报名该计划，每个计划只能有一份有效报名",
                                           en: "you already have an active application for this plan")
            }
            if p.capacity > 0 {
                let taken = try await StoredApplication.query(on: audit.db).filter(\.$planID == planID)
                    .filter(\.$status !~ [Status.rejected.rawValue, Status.withdrawn.rawValue]).count()
                if taken >= p.capacity {
                    throw DomainError.conflict(code: "plan_full", zh: "该计划报名人数已满（\(p.capacity) 人）", en: "the plan is full")
                }
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
            a.employer = profile.employer
            a.paymentStatus = (p.feeYuan > 0 ? PaymentStatus.unpaid : .notRequired).rawValue
            a.createdAt = time.now()
            a.updatedAt = time.now()
            try await a.create(on: audit.db)
            let id = try a.requireID()
            for (upload, kind, key) in storedFiles {
                try await attach(upload, kind: kind, key: key, to: id, stage: "submission", by: candidateID, on: audit.db, time: time)
            }
            try await audit.record(AuditEvent(action: "application.submit", targetType: "application", targetID: id.uuidString,
                                              details: "plan \(plan.number) level \(level); engine: \(decision.eligible ? "eligible" : "not eligible"); \(storedFiles.count) file(s)"))
            return a
        }
    }

    static func attach(_ upload: Upload, kind: ContentKind, key: String, to applicationID: UUID, stage: String, by userID: UUID,
                       on db: any Database, time: any TimeSource) async throws {
        let m = ApplicationMaterial()
        m.applicationID = applicationID
        m.name = upload.material
        m.fileName = String(upload.fileName.suffix(200))
        m.mediaType = kind.mediaType
        m.fileKey = key
        m.size = upload.data.count
        m.stage = stage
        m.uploadedBy = userID
        m.uploadedAt = time.now()
        try await m.create(on: db)
    }

    /// The candidate adds material the reviewer asked for, before the deadline; the application returns to the queue.
    public static func supplement(applicationID: UUID, uploads: [Upload], note: String, candidate: AuditActor, files: any FileStore,
                                  on db: any Database, time: any TimeSource) async throws {
        guard let a = try await StoredApplication.find(applicationID, on: db), a.candidateID == candidate.id else {
            throw DomainError.notFound(what: "application")
        }
        guard a.statusValue == .moreNeeded else {
            throw DomainError.conflict(code: "not_requested", zh: "该报名目前不需要补充材料", en: "no material has been asked for")
        }
        if let deadline = a.moreDeadline.flatMap(LocalDate.init(iso:)), time.now().chinaLocalDate > deadline {
            throw DomainError.conflict(code: "deadline_passed", zh: "补充材料截止日期（\(deadline)）已过，请联系考务部门",
                                       en: "the deadline (\(deadline)) has passed")
        }
        let maxBytes = try await SettingsStore.value(.materialMaxKB, on: db) * 1024
        let given = uploads.filter { !$0.data.isEmpty }
        guard !given.isEmpty else { throw ValidationFailure([FieldError(code: "required", field: "file", zh: "请选择要上传的补充材料", en: "attach a file")]) }
        var problems: [FieldError] = []
        var stored: [(Upload, ContentKind, String)] = []
        for (i, upload) in given.enumerated() {
            do {
                let kind = try UploadRules.material(upload.data, fileName: upload.fileName, maxBytes: maxBytes, field: "file[\(i)]")
                stored.append((upload, kind, ""))
            } catch let failure as ValidationFailure { problems += failure.errors }
        }
        if !problems.isEmpty { throw ValidationFailure(problems) }
        for i in stored.indices { stored[i].2 = try await files.put(stored[i].0.data) }
        let storedFiles = stored
        let text = String(note.trimmingCharacters(in: .whitespacesAndNewlines).prefix(500))
        try await AuditLog.transaction(on: db, actor: candidate, time: time) { audit in
            guard let fresh = try await StoredApplication.find(applicationID, on: audit.db), fresh.statusValue == .moreNeeded else {
                throw DomainError.conflict(code: "not_requested", zh: "该报名目前不需要补充材料", en: "no material has been asked for")
            }
            for (upload, kind, key) in storedFiles {
                try await attach(upload, kind: kind, key: key, to: applicationID, stage: "supplement", by: fresh.candidateID, on: audit.db, time: time)
            }
            fresh.status = Status.submitted.rawValue
            fresh.updatedAt = time.now()
            try await fresh.save(on: audit.db)
            try await audit.record(AuditEvent(action: "application.supplement", targetType: "application", targetID: applicationID.uuidString,
                                              reason: text.isEmpty ? nil : text, before: Status.moreNeeded.rawValue, after: fresh.status,
                                              details: "\(storedFiles.count) file(s) added"))
        }
    }

    /// Exam affairs record a payment state and receipt number (no online payment here).
    public static func recordPayment(applicationID: UUID, status: PaymentStatus, receipt: String, staff: AuditActor,
                                     on db: any Database, time: any TimeSource) async throws {
        let number = receipt.trimmingCharacters(in: .whitespaces)
        if [.paid, .refunded].contains(status), number.isEmpty {
            throw ValidationFailure([.required("receipt", label: "票据号")])
        }
        if number.count > 50 {
            throw ValidationFailure([FieldError(code: "too_long", field: "receipt", zh: "票据号不能超过 50 个字符", en: "at most 50 characters")])
        }
        try await AuditLog.transaction(on: db, actor: staff, time: time) { audit in
            guard let a = try await StoredApplication.find(applicationID, on: audit.db) else { throw DomainError.notFound(what: "application") }
            let before = "\(a.paymentStatus) \(a.receiptNumber ?? "")"
            a.paymentStatus = status.rawValue
            a.receiptNumber = number.isEmpty ? nil : number
            a.updatedAt = time.now()
            try await a.save(on: audit.db)
            try await audit.record(AuditEvent(action: "application.payment", targetType: "application", targetID: applicationID.uuidString,
                                              before: before, after: "\(status.rawValue) \(number)"))
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
            if let reviewerID = reviewer.id, let relation = try await RelationStore.conflict(staffID: reviewerID, candidateID: a.candidateID, alsoEmployer: a.employer, on: audit.db) {
                throw DomainError.forbidden(code: "declared_relation", zh: "您已申报与该考生存在“\(relation.kindValue.nameZH)”关系，须回避，请由其他审核人员处理",
                                            en: "you declared a relation to this candidate and must recuse yourself")
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
            } else {
                a.moreDeadline = nil
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
