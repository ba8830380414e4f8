import FluentKit
import Foundation
import SkillCertCore

/// The kinds of record that may be disposed of once their retention ends. Everything else (pass lists, applications,
/// results, certificates, examiner files, the audit log) is kept long-term and is never listed here.
public enum RetentionRecordType: String, Sendable, CaseIterable {
    /// The files a candidate uploaded with an application (copies of diplomas, work certificates), once the plan is
    /// closed; the application itself and the material list stay.
    case applicationMaterials = "application-materials"
    /// A computer-based attempt's answers (used paper answer data); the attempt and its score stay.
    case examAnswers = "exam-answers"

    public var nameZH: String {
        switch self {
        case .applicationMaterials: "报名材料文件"
        case .examAnswers: "机考作答数据"
        }
    }

    public var nameEN: String {
        switch self {
        case .applicationMaterials: "Application material files"
        case .examAnswers: "Exam answer data"
        }
    }

    /// The setting holding the retention period in years after the plan's certificates were issued.
    public var setting: SettingKey {
        switch self {
        case .applicationMaterials: .retentionMaterialsYears
        case .examAnswers: .retentionAnswersYears
        }
    }

    /// Records kept long-term, shown beside the settings so the whole schedule is on one page.
    public static let longTerm: [(zh: String, en: String)] = [
        ("合格人员名单与成绩", "Pass lists and results"), ("报名表与审核记录", "Applications and reviews"),
        ("证书及其变更记录", "Certificates and their events"), ("考评员、督导员档案", "Examiner and supervisor files"),
        ("审计日志", "Audit log"),
    ]
}

/// One record past (or before) the end of its retention.
public struct RetentionRecord: Sendable, Equatable {
    public var type: RetentionRecordType
    public var recordID: UUID
    public var planID: UUID
    public var candidateID: UUID
    public var label: String
    /// When retention ends: the plan's last certificate issue plus the type's years.
    public var dueAt: Date
    /// Under an active legal hold (on the plan or the candidate).
    public var held: Bool
}

/// Retention of records, legal holds and disposal by approved jobs. Nothing is disposed of before its retention ends or
/// while under a hold; one person proposes a job, a different person of the leadership group approves it, and the run
/// leaves a register row and an audit entry per record.
public enum RetentionStore {
    // MARK: Records

    /// When a plan's records start their retention: when its last certificate was issued. A plan with none has not
    /// reached that point.
    static func anchor(planID: UUID, on db: any Database) async throws -> Date? {
        try await CertificateRecord.query(on: db).filter(\.$planID == planID).sort(\.$issuedAt, .descending).first()?.issuedAt
    }

    static func dueAt(_ anchor: Date, years: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        return calendar.date(byAdding: .year, value: years, to: anchor) ?? anchor
    }

    /// Every disposable record of every plan whose retention has started, due or not, not yet disposed of.
    public static func records(on db: any Database, time: any TimeSource) async throws -> [RetentionRecord] {
        var out: [RetentionRecord] = []
        for plan in try await StoredPlan.query(on: db).sort(\.$number).all() {
            out += try await records(planID: plan.requireID(), on: db)
        }
        return out
    }

    /// The records past retention: what may be put in a disposal job.
    public static func due(on db: any Database, time: any TimeSource) async throws -> [RetentionRecord] {
        try await records(on: db, time: time).filter { $0.dueAt <= time.now() }
    }

    /// The disposable records of one plan.
    static func records(planID: UUID, on db: any Database) async throws -> [RetentionRecord] {
        guard let plan = try await StoredPlan.find(planID, on: db), let anchor = try await anchor(planID: planID, on: db) else { return [] }
        let settings = try await SettingsStore.all(on: db)
        let disposed = Set(try await DisposalRegisterEntry.query(on: db).filter(\.$planID == planID).all().map { "\($0.recordType)/\($0.recordID)" })
        let holds = try await activeHolds(on: db)
        let applications = try await StoredApplication.query(on: db).filter(\.$planID == planID).all()
        let names = try await candidateNames(applications.map(\.candidateID), on: db)
        var out: [RetentionRecord] = []
        func add(_ type: RetentionRecordType, _ id: UUID, candidate: UUID, _ label: String) {
            guard !disposed.contains("\(type.rawValue)/\(id)") else { return }
            out.append(RetentionRecord(type: type, recordID: id, planID: planID, candidateID: candidate, label: label,
                                       dueAt: dueAt(anchor, years: settings[type.setting] ?? type.setting.defaultValue),
                                       held: holds.contains(planID) || holds.contains(candidate)))
        }
        // Material files only once the plan is closed: until then a candidate may still be asked about them.
        if plan.statusValue == .closed {
            let materials = try await ApplicationMaterial.query(on: db).filter(\.$applicationID ~~ applications.compactMap(\.id)).all()
            for application in applications {
                let files = materials.filter { $0.applicationID == application.id && !$0.fileKey.isEmpty }
                guard !files.isEmpty, let id = application.id else { continue }
                add(.applicationMaterials, id, candidate: application.candidateID,
                    "\(plan.number) · \(names[application.candidateID] ?? "") · \(files.count) 个材料文件")
            }
        }
        let sessions = try await ExamSession.query(on: db).filter(\.$planID == planID).all()
        let attempts = try await ExamAttempt.query(on: db).filter(\.$sessionID ~~ sessions.compactMap(\.id)).all()
        let attemptNames = try await candidateNames(attempts.map(\.candidateID), on: db)
        for attempt in attempts {
            guard let id = attempt.id else { continue }
            let session = sessions.first { $0.id == attempt.sessionID }
            add(.examAnswers, id, candidate: attempt.candidateID,
                "\(plan.number) · \(session?.heldOn ?? "") · \(attemptNames[attempt.candidateID] ?? "") · 作答数据")
        }
        return out
    }

    /// One record as it stands now, nil when it is not (or no longer) disposable.
    static func record(_ type: RetentionRecordType, id: UUID, on db: any Database) async throws -> RetentionRecord? {
        let planID: UUID?
        switch type {
        case .applicationMaterials: planID = try await StoredApplication.find(id, on: db)?.planID
        case .examAnswers:
            guard let attempt = try await ExamAttempt.find(id, on: db) else { return nil }
            planID = try await ExamSession.find(attempt.sessionID, on: db)?.planID
        }
        guard let planID else { return nil }
        return try await records(planID: planID, on: db).first { $0.type == type && $0.recordID == id }
    }

    static func candidateNames(_ ids: [UUID], on db: any Database) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        return Dictionary(try await CandidateProfile.query(on: db).filter(\.$userID ~~ Array(Set(ids))).all().map { ($0.userID, $0.fullName) },
                          uniquingKeysWith: { a, _ in a })
    }

    /// Refuses a record that may not be disposed of now: gone or already disposed, before its date, or held.
    static func checkDisposable(_ type: RetentionRecordType, id: UUID, on db: any Database, time: any TimeSource) async throws -> RetentionRecord {
        guard let r = try await record(type, id: id, on: db) else {
            throw DomainError.conflict(code: "not_disposable", zh: "记录不存在、已销毁或尚未进入保存期（\(type.nameZH)）",
                                       en: "the record does not exist, was disposed of or has no retention yet")
        }
        guard r.dueAt <= time.now() else {
            throw DomainError.conflict(code: "not_due", zh: "“\(r.label)”保存期至 \(r.dueAt.chinaLocalDate) 届满，届满前不能销毁",
                                       en: "\(r.label) must be kept until \(r.dueAt.chinaLocalDate)")
        }
        guard !r.held else {
            throw DomainError.conflict(code: "legal_hold", zh: "“\(r.label)”处于冻结（法律保全）状态，不能销毁",
                                       en: "\(r.label) is under a legal hold")
        }
        return r
    }

    // MARK: Legal holds

    /// The plans and candidates under an active hold.
    static func activeHolds(on db: any Database) async throws -> Set<UUID> {
        Set(try await LegalHold.query(on: db).filter(\.$liftedAt == nil).all().map(\.targetID))
    }

    public static func holds(on db: any Database) async throws -> [LegalHold] {
        try await LegalHold.query(on: db).sort(\.$placedAt, .descending).all()
    }

    /// Places a hold on a plan or a candidate, with the reason.
    @discardableResult
    public static func placeHold(_ scope: LegalHold.Scope, targetID: UUID, reason: String, actor: AuditActor, on db: any Database,
                                 time: any TimeSource) async throws -> LegalHold {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw ValidationFailure([.required("reason", label: "冻结原因")]) }
        guard let by = actor.id else { throw DomainError.forbidden(code: "named_staff_only", zh: "冻结须由具名工作人员操作", en: "holds are placed by named staff") }
        switch scope {
        case .plan: guard try await StoredPlan.find(targetID, on: db) != nil else { throw DomainError.notFound(what: "plan") }
        case .candidate:
            guard try await CandidateProfile.query(on: db).filter(\.$userID == targetID).first() != nil else { throw DomainError.notFound(what: "candidate") }
        }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let hold = LegalHold()
            hold.scope = scope.rawValue
            hold.targetID = targetID
            hold.reason = reason
            hold.placedBy = by
            hold.placedAt = time.now()
            try await hold.create(on: audit.db)
            try await audit.record(AuditEvent(action: "legal-hold.place", targetType: scope.rawValue, targetID: targetID.uuidString, reason: reason,
                                              details: "hold \(try hold.requireID().uuidString)"))
            return hold
        }
    }

    /// Lifts an active hold, with the reason.
    public static func liftHold(_ id: UUID, reason: String, actor: AuditActor, on db: any Database, time: any TimeSource) async throws {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw ValidationFailure([.required("reason", label: "解除原因")]) }
        guard let by = actor.id else { throw DomainError.forbidden(code: "named_staff_only", zh: "解除冻结须由具名工作人员操作", en: "holds are lifted by named staff") }
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let hold = try await LegalHold.find(id, on: audit.db) else { throw DomainError.notFound(what: "hold") }
            guard hold.isActive else { throw DomainError.conflict(code: "already_lifted", zh: "该冻结已解除", en: "the hold was already lifted") }
            hold.liftedBy = by
            hold.liftedAt = time.now()
            hold.liftReason = reason
            try await hold.save(on: audit.db)
            try await audit.record(AuditEvent(action: "legal-hold.lift", targetType: hold.scope, targetID: hold.targetID.uuidString, reason: reason,
                                              details: "hold \(id.uuidString)"))
        }
    }

    // MARK: Disposal jobs

    public static func jobs(on db: any Database) async throws -> [DisposalJob] {
        try await DisposalJob.query(on: db).sort(\.$proposedAt, .descending).all()
    }

    public static func items(jobID: UUID, on db: any Database) async throws -> [DisposalJobItem] {
        try await DisposalJobItem.query(on: db).filter(\.$jobID == jobID).sort(\.$label).all()
    }

    public static func register(on db: any Database) async throws -> [DisposalRegisterEntry] {
        try await DisposalRegisterEntry.query(on: db).sort(\.$disposedAt, .descending).all()
    }

    /// Proposes a job disposing of these records, each past its retention and not held.
    @discardableResult
    public static func propose(_ records: [(type: RetentionRecordType, id: UUID)], reason: String, actor: AuditActor, on db: any Database,
                               time: any TimeSource) async throws -> DisposalJob {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw ValidationFailure([.required("reason", label: "销毁理由")]) }
        guard !records.isEmpty else {
            throw ValidationFailure([FieldError(code: "required", field: "records", zh: "请选择要销毁的记录", en: "choose the records to dispose of")])
        }
        guard let by = actor.id else { throw DomainError.forbidden(code: "named_staff_only", zh: "销毁任务须由具名工作人员提出", en: "jobs are proposed by named staff") }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            var checked: [RetentionRecord] = []
            for (type, id) in records where !checked.contains(where: { $0.type == type && $0.recordID == id }) {
                checked.append(try await checkDisposable(type, id: id, on: audit.db, time: time))
            }
            let job = DisposalJob()
            job.status = DisposalJob.Status.proposed.rawValue
            job.reason = reason
            job.proposedBy = by
            job.proposedAt = time.now()
            try await job.create(on: audit.db)
            let jobID = try job.requireID()
            for r in checked {
                let item = DisposalJobItem()
                item.jobID = jobID
                item.recordType = r.type.rawValue
                item.recordID = r.recordID
                item.planID = r.planID
                item.candidateID = r.candidateID
                item.label = r.label
                try await item.create(on: audit.db)
            }
            try await audit.record(AuditEvent(action: "disposal-job.propose", targetType: "disposal-job", targetID: jobID.uuidString, reason: reason,
                                              details: checked.map { "\($0.type.rawValue)/\($0.recordID.uuidString)" }.joined(separator: ", ")))
            return job
        }
    }

    /// Approves a proposed job: only the leadership group, never the proposer, and only while every record is still
    /// due and not held.
    public static func approve(_ jobID: UUID, actor: AuditActor, on db: any Database, time: any TimeSource) async throws {
        guard let by = actor.id else { throw DomainError.forbidden(code: "leadership_only", zh: "须由认定工作领导小组成员审批", en: "leadership approves") }
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let job = try await DisposalJob.find(jobID, on: audit.db) else { throw DomainError.notFound(what: "disposal job") }
            guard job.statusValue == .proposed else {
                throw DomainError.conflict(code: "invalid_transition", zh: "当前状态“\(job.statusValue.nameZH)”不能审批", en: "the job is not awaiting approval")
            }
            guard by != job.proposedBy else {
                throw DomainError.forbidden(code: "proposer_cannot_approve", zh: "提出销毁任务的人不能审批它", en: "whoever proposed the job cannot approve it")
            }
            let leader = try await UserRoleAssignment.query(on: audit.db).filter(\.$user.$id == by).filter(\.$role == Role.leadership.rawValue).first()
            guard leader != nil else {
                throw DomainError.forbidden(code: "leadership_only", zh: "销毁任务须由认定工作领导小组审批", en: "only the leadership group approves disposal")
            }
            for item in try await items(jobID: jobID, on: audit.db) {
                _ = try await checkDisposable(try type(of: item), id: item.recordID, on: audit.db, time: time)
            }
            job.status = DisposalJob.Status.approved.rawValue
            job.approvedBy = by
            job.approvedAt = time.now()
            try await job.save(on: audit.db)
            try await audit.record(AuditEvent(action: "disposal-job.approve", targetType: "disposal-job", targetID: jobID.uuidString,
                                              before: DisposalJob.Status.proposed.rawValue, after: job.status))
        }
    }

    /// Runs an approved job: checks every record again (a hold placed since approval stops the whole job), blanks the
    /// content, writes the register and the audit trail in one transaction, then deletes files nothing refers to.
    @discardableResult
    public static func run(_ jobID: UUID, actor: AuditActor, files: any FileStore, on db: any Database,
                           time: any TimeSource) async throws -> [DisposalRegisterEntry] {
        guard let by = actor.id else { throw DomainError.forbidden(code: "named_staff_only", zh: "销毁须由具名工作人员执行", en: "jobs are run by named staff") }
        let (entries, freedKeys) = try await AuditLog.transaction(on: db, actor: actor, time: time) { audit -> ([DisposalRegisterEntry], [String]) in
            guard let job = try await DisposalJob.find(jobID, on: audit.db) else { throw DomainError.notFound(what: "disposal job") }
            guard job.statusValue == .approved, let approvedBy = job.approvedBy else {
                throw DomainError.conflict(code: "not_approved", zh: "销毁任务尚未批准，不能执行", en: "the job has not been approved")
            }
            var entries: [DisposalRegisterEntry] = []
            var keys: Set<String> = []
            for item in try await items(jobID: jobID, on: audit.db) {
                let type = try type(of: item)
                _ = try await checkDisposable(type, id: item.recordID, on: audit.db, time: time)
                let details: String
                switch type {
                case .applicationMaterials:
                    let materials = try await ApplicationMaterial.query(on: audit.db).filter(\.$applicationID == item.recordID).all()
                        .filter { !$0.fileKey.isEmpty }
                    let bytes = materials.reduce(0) { $0 + $1.size }
                    for m in materials {
                        keys.insert(m.fileKey)
                        m.fileKey = ""
                        m.fileName = "（已销毁）"
                        m.size = 0
                        try await m.save(on: audit.db)
                    }
                    details = "\(materials.count) 个文件，\(bytes) 字节"
                case .examAnswers:
                    let count = try await ExamAnswer.query(on: audit.db).filter(\.$attemptID == item.recordID).count()
                    try await ExamAnswer.query(on: audit.db).filter(\.$attemptID == item.recordID).delete()
                    details = "\(count) 条作答"
                }
                let entry = DisposalRegisterEntry()
                entry.jobID = jobID
                entry.recordType = type.rawValue
                entry.recordID = item.recordID
                entry.planID = item.planID
                entry.candidateID = item.candidateID
                entry.label = item.label
                entry.details = details
                entry.proposedBy = job.proposedBy
                entry.approvedBy = approvedBy
                entry.disposedBy = by
                entry.disposedAt = time.now()
                try await entry.create(on: audit.db)
                entries.append(entry)
                try await audit.record(AuditEvent(action: "retention.dispose", targetType: type.rawValue, targetID: item.recordID.uuidString,
                                                  reason: job.reason, details: "job \(jobID.uuidString): \(item.label); \(details)"))
            }
            job.status = DisposalJob.Status.done.rawValue
            job.runBy = by
            job.runAt = time.now()
            try await job.save(on: audit.db)
            try await audit.record(AuditEvent(action: "disposal-job.run", targetType: "disposal-job", targetID: jobID.uuidString,
                                              before: DisposalJob.Status.approved.rawValue, after: job.status, details: "\(entries.count) records"))
            // The store is content-addressed: a file still named by another row (the same bytes uploaded elsewhere) stays.
            var freed: [String] = []
            for key in keys {
                let materials = try await ApplicationMaterial.query(on: audit.db).filter(\.$fileKey == key).count()
                let photos = try await CandidateProfile.query(on: audit.db).filter(\.$photoKey == key).count()
                let certificates = try await CertificateRecord.query(on: audit.db).filter(\.$photoKey == key).count()
                if materials + photos + certificates == 0 { freed.append(key) }
            }
            return (entries, freed)
        }
        // After the commit: a file removed before a rolled-back transaction could not be brought back.
        for key in freedKeys { try await files.remove(key) }
        return entries
    }

    static func type(of item: DisposalJobItem) throws -> RetentionRecordType {
        guard let type = RetentionRecordType(rawValue: item.recordType) else { throw DomainError.notFound(what: "record type") }
        return type
    }
}
