import FluentKit
import Foundation
import SkillCertCore

/// The examiner and supervisor registry: appointments, qualifications, trainings, status, and the search for
/// qualified, available people.
public enum RegistryStore {
    public struct MemberInput: Sendable {
        public var username: String
        public var kind: RegistryMember.Kind
        public var fullName: String
        public var employer: String
        public var appointedOn: String

        public init(username: String, kind: RegistryMember.Kind, fullName: String, employer: String, appointedOn: String) {
            self.username = username
            self.kind = kind
            self.fullName = fullName
            self.employer = employer
            self.appointedOn = appointedOn
        }
    }

    /// Appoints an account holder as examiner or supervisor; the term runs the configured number of years.
    @discardableResult
    public static func appoint(_ input: MemberInput, actor: AuditActor, on db: any Database, time: any TimeSource) async throws -> RegistryMember {
        var v = FieldValidator()
        let name = v.require(input.fullName, field: "fullName", label: "姓名", maxLength: 50)
        let employer = v.require(input.employer, field: "employer", label: "工作单位", maxLength: 100)
        let appointed = LocalDate(iso: input.appointedOn)
        if appointed == nil { v.add(FieldError(code: "invalid_date", field: "appointedOn", zh: "请填写聘任日期", en: "give the appointment date")) }
        let user = try await User.query(on: db).filter(\.$username == input.username.trimmingCharacters(in: .whitespaces).lowercased()).first()
        if user == nil { v.add(FieldError(code: "unknown_user", field: "username", zh: "找不到该登录账号，请先在“用户与角色”中创建", en: "no such account")) }
        try v.check()
        let years = try await SettingsStore.value(.appointmentTermYears, on: db)
        let userID = try user!.requireID()
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            if try await RegistryMember.query(on: audit.db).filter(\.$userID == userID).first() != nil {
                throw DomainError.conflict(code: "already_appointed", zh: "该账号已在名册中", en: "this account is already in the registry")
            }
            let m = RegistryMember()
            m.userID = userID
            m.kind = input.kind.rawValue
            m.fullName = name
            m.employer = employer
            m.status = RegistryMember.Status.active.rawValue
            m.appointedOn = appointed!.description
            m.termEndsOn = appointed!.adding(months: 12 * years).adding(days: -1).description
            m.createdAt = time.now()
            try await m.create(on: audit.db)
            try await audit.record(AuditEvent(action: "registry.appoint", targetType: "registry", targetID: m.id?.uuidString,
                                              details: "\(input.kind.rawValue) \(name) (\(input.username)), term to \(m.termEndsOn)"))
            return m
        }
    }

    public static func addQualification(memberID: UUID, occupationCode: String, maxLevel: Int, certificateNumber: String,
                                        validFrom: String, validTo: String, actor: AuditActor, on db: any Database,
                                        time: any TimeSource) async throws {
        var v = FieldValidator()
        v.require(occupationCode, field: "occupationCode", label: "职业编码", maxLength: 20)
        v.require(certificateNumber, field: "certificateNumber", label: "考评员证书编号", maxLength: 40)
        if !Level(maxLevel).isKnown { v.add(FieldError(code: "invalid_value", field: "maxLevel", zh: "请选择可考评的最高等级", en: "choose a level")) }
        let from = LocalDate(iso: validFrom), to = LocalDate(iso: validTo)
        if from == nil { v.add(FieldError(code: "invalid_date", field: "validFrom", zh: "请填写有效期起始日期", en: "give a start date")) }
        if to == nil { v.add(FieldError(code: "invalid_date", field: "validTo", zh: "请填写有效期截止日期", en: "give an end date")) }
        if let from, let to, to < from { v.add(FieldError(code: "invalid_range", field: "validTo", zh: "截止日期早于起始日期", en: "ends before it starts")) }
        try v.check()
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard try await RegistryMember.find(memberID, on: audit.db) != nil else { throw DomainError.notFound(what: "registry member") }
            let q = RegistryQualification()
            q.memberID = memberID
            q.occupationCode = occupationCode.trimmingCharacters(in: .whitespaces)
            q.maxLevel = maxLevel
            q.certificateNumber = certificateNumber.trimmingCharacters(in: .whitespaces)
            q.validFrom = from!.description
            q.validTo = to!.description
            try await q.create(on: audit.db)
            try await audit.record(AuditEvent(action: "registry.qualification", targetType: "registry", targetID: memberID.uuidString,
                                              details: "\(q.occupationCode) up to \(Level(maxLevel).shortName), \(q.validFrom)–\(q.validTo)"))
        }
    }

    public static func addTraining(memberID: UUID, course: String, heldOn: String, hours: Int, result: String, actor: AuditActor,
                                   on db: any Database, time: any TimeSource) async throws {
        var v = FieldValidator()
        let title = v.require(course, field: "course", label: "培训课程", maxLength: 100)
        let outcome = v.require(result, field: "result", label: "培训结果", maxLength: 50)
        if LocalDate(iso: heldOn) == nil { v.add(FieldError(code: "invalid_date", field: "heldOn", zh: "请填写培训日期", en: "give the date")) }
        if !(1...500).contains(hours) { v.add(FieldError(code: "invalid_value", field: "hours", zh: "学时应在 1–500 之间", en: "1–500 hours")) }
        try v.check()
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let t = RegistryTraining()
            t.memberID = memberID
            t.course = title
            t.heldOn = heldOn
            t.hours = hours
            t.result = outcome
            try await t.create(on: audit.db)
            try await audit.record(AuditEvent(action: "registry.training", targetType: "registry", targetID: memberID.uuidString,
                                              details: "\(title) \(heldOn) \(hours) h: \(outcome)"))
        }
    }

    public static func setStatus(memberID: UUID, _ status: RegistryMember.Status, reason: String, actor: AuditActor,
                                 on db: any Database, time: any TimeSource) async throws {
        let text = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ValidationFailure([.required("reason", label: "原因")]) }
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let m = try await RegistryMember.find(memberID, on: audit.db) else { throw DomainError.notFound(what: "registry member") }
            let before = m.status
            m.status = status.rawValue
            try await m.save(on: audit.db)
            try await audit.record(AuditEvent(action: "registry.status", targetType: "registry", targetID: memberID.uuidString,
                                              reason: text, before: before, after: status.rawValue))
        }
    }

    /// The status a list shows: suspended, expired (term or every qualification over), or active.
    public static func displayStatus(_ m: RegistryMember, qualifications: [RegistryQualification], today: LocalDate) -> String {
        if m.statusValue == .suspended { return "暂停" }
        if let end = LocalDate(iso: m.termEndsOn), end < today { return "聘期已满" }
        if m.kindValue == .examiner, !qualifications.isEmpty,
           qualifications.allSatisfy({ LocalDate(iso: $0.validTo).map { $0 < today } ?? true }) { return "资格过期" }
        return "在聘"
    }

    /// Appointments and qualifications that end within `days` days: the dashboard's reminders.
    public static func expiring(within days: Int, today: LocalDate, on db: any Database) async throws -> [(name: String, what: String, on: String)] {
        let limit = today.adding(days: days).description
        let now = today.description
        var result: [(String, String, String)] = []
        for m in try await RegistryMember.query(on: db).filter(\.$termEndsOn >= now).filter(\.$termEndsOn <= limit).all() {
            result.append((m.fullName, "聘期", m.termEndsOn))
        }
        let quals = try await RegistryQualification.query(on: db).filter(\.$validTo >= now).filter(\.$validTo <= limit).all()
        let members = Dictionary(try await RegistryMember.query(on: db).filter(\.$id ~~ quals.map(\.memberID)).all().map { ($0.id!, $0.fullName) },
                                 uniquingKeysWith: { a, _ in a })
        for q in quals { result.append((members[q.memberID] ?? "", "\(q.occupationCode) 考评资格", q.validTo)) }
        return result.sorted { $0.2 < $1.2 }
    }

    /// Members who may take a role in a session: active and appointed on the day; examiners qualified for the
    /// occupation and level; supervisors for the supervisor role; nobody already booked in an overlapping session.
    public static func qualified(for role: StaffRole, occupation: String, level: Int, slot: TimeSlot,
                                 on db: any Database) async throws -> [RegistryMember] {
        let members = try await RegistryMember.query(on: db).filter(\.$status == RegistryMember.Status.active.rawValue).all()
            .filter { $0.serves(on: slot.date) }
        let quals = Dictionary(grouping: try await RegistryQualification.query(on: db).all(), by: \.memberID)
        let busy = try await SessionStore.busyUsers(at: slot, on: db)
        return members.filter { m in
            guard !busy.contains(m.userID) else { return false }
            switch role {
            case .supervisor: return m.kindValue.isSupervisor
            case .invigilator: return m.kindValue == .examiner
            case .examiner, .chiefExaminer:
                return m.kindValue == .examiner && (quals[m.id!] ?? []).contains { $0.covers(occupation: occupation, level: level, on: slot.date) }
            }
        }.sorted { $0.fullName < $1.fullName }
    }
}
