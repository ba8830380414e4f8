import FluentKit
import Foundation
import SkillCertCore

/// Appeals, complaints and reports (申诉与投诉): intake from the public form or by staff, assignment, answer and
/// closing, each audited; the register's filters and the counts a batch report needs.
public enum ComplaintStore {
    /// What the complainant (or the staff member taking it down) gives.
    public struct Intake: Sendable {
        public var category: String
        public var subject: String
        public var text: String
        public var complainantName: String
        public var contact: String
        public var planID: String
        public var candidateID: String
        public var sessionID: String
        public var examinerID: String

        public init(category: String, subject: String, text: String, complainantName: String, contact: String,
                    planID: String = "", candidateID: String = "", sessionID: String = "", examinerID: String = "") {
            self.category = category
            self.subject = subject
            self.text = text
            self.complainantName = complainantName
            self.contact = contact
            self.planID = planID
            self.candidateID = candidateID
            self.sessionID = sessionID
            self.examinerID = examinerID
        }
    }

    /// The resolved links of a complaint (nil where none was given).
    public struct Links: Sendable, Equatable {
        public var planID: UUID?
        public var candidateID: UUID?
        public var sessionID: UUID?
        public var examinerID: UUID?
    }

    /// Registers a complaint: from the public form (`actor` is the system's `public`; a contact is required so the
    /// complainant can look it up) or by staff (links allowed, contact optional for an anonymous report). The
    /// deadline is the configured number of working days after today.
    @discardableResult
    public static func receive(_ intake: Intake, fromPublic: Bool, actor: AuditActor, on db: any Database,
                               time: any TimeSource) async throws -> StoredComplaint {
        var v = FieldValidator()
        let category = ComplaintCategory(rawValue: intake.category)
        if category == nil {
            v.add(FieldError(code: "invalid_value", field: "category", zh: "请选择类别", en: "choose a category"))
        }
        let subject = v.require(intake.subject, field: "subject", label: "事由", maxLength: 100)
        let text = v.require(intake.text, field: "text", label: "具体内容", maxLength: 4000)
        let name = intake.complainantName.trimmingCharacters(in: .whitespacesAndNewlines)
        if fromPublic { v.require(name, field: "complainantName", label: "姓名", maxLength: 50) }
        else if name.count > 50 {
            v.add(FieldError(code: "too_long", field: "complainantName", zh: "“姓名”不能超过 50 个字符", en: "at most 50 characters"))
        }
        let rawContact = intake.contact.trimmingCharacters(in: .whitespacesAndNewlines)
        let contact = ContactAddress(rawContact)
        if (fromPublic || !rawContact.isEmpty) && contact == nil {
            v.add(FieldError(code: "invalid_format", field: "contact", zh: "请填写手机号码或电子邮箱，用于查询办理结果",
                             en: "give a mobile number or an e-mail address"))
        }
        let links = fromPublic ? Links() : try await resolve(intake, into: &v, on: db)
        try v.check()
        let days = try await SettingsStore.value(.complaintAnswerWorkingDays, on: db)
        let calendar = try await CalendarStore.calendar(on: db)
        let now = time.now()
        let today = now.chinaLocalDate
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let sameDay = try await StoredComplaint.query(on: audit.db).filter(\.$receivedOn == today.description).count()
            let c = StoredComplaint()
            c.reference = reference(day: today, sequence: sameDay + 1)
            c.category = category!.rawValue
            c.channel = fromPublic ? "public-form" : "staff"
            c.subject = subject
            c.text = text
            c.complainantName = name
            c.contact = contact?.value ?? ""
            c.planID = links.planID
            c.candidateID = links.candidateID
            c.sessionID = links.sessionID
            c.examinerID = links.examinerID
            c.receivedAt = now
            c.receivedOn = today.description
            c.dueOn = ComplaintDeadline.due(receivedOn: today, workingDays: days, calendar: calendar).description
            c.status = ComplaintStatus.received.rawValue
            c.createdBy = actor.id
            c.updatedAt = now
            try await c.create(on: audit.db)
            try await audit.record(AuditEvent(action: "complaint.receive", targetType: "complaint", targetID: c.id?.uuidString,
                                              details: "\(c.reference) \(c.category) via \(c.channel), due \(c.dueOn): \(c.subject)"))
            return c
        }
    }

    /// `TS` + the day + the day's sequence + four random characters, so references cannot be guessed in order.
    static func reference(day: LocalDate, sequence: Int) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        let suffix = String((0..<4).map { _ in alphabet.randomElement()! })
        return "TS\(day.description.replacingOccurrences(of: "-", with: ""))-\(String(format: "%03d", sequence))\(suffix)"
    }

    /// Checks the typed ids of the links: each must name an existing plan, candidate, session or examiner.
    static func resolve(_ intake: Intake, into v: inout FieldValidator, on db: any Database) async throws -> Links {
        func id(_ text: String, field: String, label: String) -> UUID? {
            let t = text.trimmingCharacters(in: .whitespaces)
            guard !t.isEmpty else { return nil }
            guard let u = UUID(uuidString: t) else {
                v.add(FieldError(code: "invalid_format", field: field, zh: "“\(label)”应为系统编号（UUID）", en: "\(field) must be an id"))
                return nil
            }
            return u
        }
        func missing(_ field: String, _ label: String) {
            v.add(FieldError(code: "not_found", field: field, zh: "未找到该\(label)", en: "no such \(field)"))
        }
        var links = Links()
        if let u = id(intake.planID, field: "planId", label: "认定计划") {
            if try await StoredPlan.find(u, on: db) == nil { missing("planId", "认定计划") } else { links.planID = u }
        }
        if let u = id(intake.candidateID, field: "candidateId", label: "考生") {
            if try await CandidateProfile.query(on: db).filter(\.$userID == u).first() == nil { missing("candidateId", "考生") }
            else { links.candidateID = u }
        }
        if let u = id(intake.sessionID, field: "sessionId", label: "场次") {
            if let s = try await ExamSession.find(u, on: db) {
                links.sessionID = u
                if links.planID == nil { links.planID = s.planID }
            } else { missing("sessionId", "场次") }
        }
        if let u = id(intake.examinerID, field: "examinerId", label: "考评员") {
            if try await RegistryMember.find(u, on: db) == nil { missing("examinerId", "考评员") } else { links.examinerID = u }
        }
        return links
    }

    public static func find(_ id: UUID, on db: any Database) async throws -> StoredComplaint {
        guard let c = try await StoredComplaint.find(id, on: db) else { throw DomainError.notFound(what: "complaint") }
        return c
    }

    /// The complainant's own complaint: the reference and the contact given must both match.
    public static func lookup(reference: String, contact: String, on db: any Database) async throws -> StoredComplaint? {
        let ref = reference.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        guard !ref.isEmpty, ref.count <= 40, let address = ContactAddress(contact) else { return nil }
        guard let c = try await StoredComplaint.query(on: db).filter(\.$reference == ref).first(), !c.contact.isEmpty,
              c.contact == address.value else { return nil }
        return c
    }

    /// The register's filters.
    public struct Filter: Sendable {
        /// Words found in the reference, subject or complainant's name.
        public var search: String = ""
        public var category: ComplaintCategory?
        public var status: ComplaintStatus?
        /// Only unanswered complaints past their deadline.
        public var overdue = false
        public var assigneeID: UUID?
        public var planID: UUID?

        public init() {}

        func query(on db: any Database, today: LocalDate) -> QueryBuilder<StoredComplaint> {
            let q = StoredComplaint.query(on: db)
            let words = search.trimmingCharacters(in: .whitespacesAndNewlines)
            if !words.isEmpty {
                q.group(.or) { g in
                    g.filter(\.$reference ~~ words.uppercased()).filter(\.$subject ~~ words).filter(\.$complainantName ~~ words)
                }
            }
            if let category { q.filter(\.$category == category.rawValue) }
            if let status { q.filter(\.$status == status.rawValue) }
            if overdue {
                // ISO dates compare as text.
                q.filter(\.$status ~~ ComplaintStatus.open.map(\.rawValue)).filter(\.$dueOn < today.description)
            }
            if let assigneeID { q.filter(\.$assigneeID == assigneeID) }
            if let planID { q.filter(\.$planID == planID) }
            return q
        }
    }

    /// One page of the register, newest first, with the total matching.
    public static func list(_ filter: Filter, today: LocalDate, page: Int, perPage: Int,
                            on db: any Database) async throws -> (total: Int, rows: [StoredComplaint]) {
        let total = try await filter.query(on: db, today: today).count()
        let rows = try await filter.query(on: db, today: today).sort(\.$receivedAt, .descending).sort(\.$reference, .descending)
            .range(((page - 1) * perPage)..<(page * perPage)).all()
        return (total, rows)
    }

    /// Every complaint the filter matches, newest first (for the export).
    public static func all(_ filter: Filter, today: LocalDate, on db: any Database) async throws -> [StoredComplaint] {
        try await filter.query(on: db, today: today).sort(\.$receivedAt, .descending).all()
    }

    /// Gives the complaint to a staff member; a received complaint is then in progress.
    @discardableResult
    public static func assign(_ id: UUID, to assigneeID: UUID, actor: AuditActor, on db: any Database,
                              time: any TimeSource) async throws -> StoredComplaint {
        let c = try await find(id, on: db)
        guard c.statusValue.isOpen else {
            throw DomainError.conflict(code: "complaint_done", zh: "该事项已答复或办结", en: "already answered or closed")
        }
        guard let user = try await User.query(on: db).filter(\.$id == assigneeID).with(\.$roleAssignments).first(), user.isActive,
              !user.roles.isDisjoint(with: Role.staff) else {
            throw ValidationFailure([FieldError(code: "invalid_value", field: "assigneeId", zh: "请选择本机构工作人员", en: "choose a staff member")])
        }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let before = c.assigneeID?.uuidString
            c.assigneeID = assigneeID
            c.status = ComplaintStatus.inProgress.rawValue
            c.updatedAt = time.now()
            try await c.save(on: audit.db)
            try await audit.record(AuditEvent(action: "complaint.assign", targetType: "complaint", targetID: id.uuidString,
                                              before: before, after: assigneeID.uuidString,
                                              details: "\(c.reference) → \(user.username)"))
            return c
        }
    }

    /// Records the outcome and the reply the complainant will see; the complaint is answered.
    @discardableResult
    public static func answer(_ id: UUID, outcome: String, reply: String, actor: AuditActor, on db: any Database,
                              time: any TimeSource) async throws -> StoredComplaint {
        let c = try await find(id, on: db)
        guard c.statusValue.isOpen else {
            throw DomainError.conflict(code: "complaint_done", zh: "该事项已答复或办结", en: "already answered or closed")
        }
        var v = FieldValidator()
        let result = ComplaintOutcome(rawValue: outcome)
        if result == nil { v.add(FieldError(code: "invalid_value", field: "outcome", zh: "请选择处理结论", en: "choose an outcome")) }
        let text = v.require(reply, field: "reply", label: "答复内容", maxLength: 4000)
        try v.check()
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            c.outcome = result!.rawValue
            c.reply = text
            c.answeredAt = time.now()
            c.answeredBy = actor.id
            c.status = ComplaintStatus.answered.rawValue
            c.updatedAt = time.now()
            try await c.save(on: audit.db)
            try await audit.record(AuditEvent(action: "complaint.answer", targetType: "complaint", targetID: id.uuidString,
                                              details: "\(c.reference) \(c.outcome ?? ""): \(text)"))
            return c
        }
    }

    /// Closes the complaint (after the answer, or when withdrawn); the reason is audited.
    @discardableResult
    public static func close(_ id: UUID, reason: String, actor: AuditActor, on db: any Database,
                             time: any TimeSource) async throws -> StoredComplaint {
        let c = try await find(id, on: db)
        guard c.statusValue != .closed else {
            throw DomainError.conflict(code: "complaint_done", zh: "该事项已办结", en: "already closed")
        }
        var v = FieldValidator()
        let why = v.require(reason, field: "reason", label: "办结说明", maxLength: 500)
        try v.check()
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let before = c.status
            c.status = ComplaintStatus.closed.rawValue
            c.updatedAt = time.now()
            try await c.save(on: audit.db)
            try await audit.record(AuditEvent(action: "complaint.close", targetType: "complaint", targetID: id.uuidString, reason: why,
                                              before: before, after: c.status, details: "\(c.reference) \(before) → closed"))
            return c
        }
    }

    /// Counts for a report: by category, by status, and how many are overdue on `today`.
    public struct Summary: Sendable, Equatable {
        public var total = 0
        public var byCategory: [ComplaintCategory: Int] = [:]
        public var byStatus: [ComplaintStatus: Int] = [:]
        public var overdue = 0

        public init() {}
    }

    /// The complaints linked to a plan (nil: all) and received within `from...through` (either end open when nil),
    /// counted by category and status, with the overdue count on `today`. For the per-plan batch report.
    public static func summary(planID: UUID?, from: LocalDate? = nil, through: LocalDate? = nil, today: LocalDate,
                               on db: any Database) async throws -> Summary {
        let q = StoredComplaint.query(on: db)
        if let planID { q.filter(\.$planID == planID) }
        if let from { q.filter(\.$receivedOn >= from.description) }
        if let through { q.filter(\.$receivedOn <= through.description) }
        let rows = try await q.field(\.$id).field(\.$category).field(\.$status).field(\.$dueOn).all()
        var s = Summary()
        for row in rows {
            let c = row.categoryValue
            let st = row.statusValue
            let dueOn = row.dueOn
            s.total += 1
            s.byCategory[c, default: 0] += 1
            s.byStatus[st, default: 0] += 1
            if ComplaintDeadline.isOverdue(status: st, due: LocalDate(iso: dueOn) ?? .distantFuture, today: today) { s.overdue += 1 }
        }
        return s
    }
}
