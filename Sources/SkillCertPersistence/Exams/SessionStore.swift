import FluentKit
import Foundation
import SkillCertCore

/// Rooms at the body's sites.
public enum RoomStore {
    @discardableResult
    public static func create(siteCode: String, name: String, rows: Int, columns: Int, capacity: Int?, actor: AuditActor,
                              on db: any Database, time: any TimeSource) async throws -> ExamRoom {
        var v = FieldValidator()
        let roomName = v.require(name, field: "name", label: "考场名称", maxLength: 50)
        if !(1...50).contains(rows) { v.add(FieldError(code: "invalid_value", field: "rows", zh: "座位行数应在 1–50 之间", en: "1–50 rows")) }
        if !(1...50).contains(columns) { v.add(FieldError(code: "invalid_value", field: "columns", zh: "座位列数应在 1–50 之间", en: "1–50 columns")) }
        let seats = capacity ?? rows * columns
        if seats < 1 || seats > rows * columns {
            v.add(FieldError(code: "invalid_value", field: "capacity", zh: "容量应在 1 与座位数（行×列）之间", en: "capacity must fit the seats"))
        }
        let sites = try await BodyStore.load(on: db)?.sites.map(\.code) ?? []
        if !sites.contains(siteCode) { v.add(FieldError(code: "unknown_site", field: "siteCode", zh: "请选择本机构的认定站点", en: "choose one of the body's sites")) }
        try v.check()
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            if try await ExamRoom.query(on: audit.db).filter(\.$siteCode == siteCode).filter(\.$name == roomName).first() != nil {
                throw ValidationFailure([FieldError(code: "duplicate", field: "name", zh: "该站点已有同名考场", en: "the site already has a room of that name")])
            }
            let room = ExamRoom()
            room.siteCode = siteCode
            room.name = roomName
            room.capacity = seats
            room.seatRows = rows
            room.seatColumns = columns
            try await room.create(on: audit.db)
            try await audit.record(AuditEvent(action: "room.create", targetType: "room", targetID: room.id?.uuidString,
                                              details: "\(siteCode) \(roomName): \(seats) seats (\(rows)×\(columns))"))
            return room
        }
    }
}

/// Sessions, seats, admission tickets, staffing with recusal, and exam-day check-in.
public enum SessionStore {
    public struct SessionInput: Sendable {
        public var planID: UUID
        public var level: Int
        public var mode: ExamSession.Mode
        public var date: String
        public var start: String
        public var minutes: Int?
        public var siteCode: String
        public var roomIDs: [UUID]

        public init(planID: UUID, level: Int, mode: ExamSession.Mode, date: String, start: String, minutes: Int?, siteCode: String,
                    roomIDs: [UUID]) {
            self.planID = planID
            self.level = level
            self.mode = mode
            self.date = date
            self.start = start
            self.minutes = minutes
            self.siteCode = siteCode
            self.roomIDs = roomIDs
        }
    }

    /// The standard's level specification for a plan.
    static func spec(planID: UUID, level: Int, on db: any Database) async throws -> (StoredPlan, OccupationalStandard, LevelSpec) {
        let plan = try await PlanStore.find(planID, on: db)
        let standard = try await StandardStore.find(id: plan.standardID, on: db).standard()
        guard let spec = standard.spec(for: Level(level)) else { throw DomainError.notFound(what: "level") }
        return (plan, standard, spec)
    }

    /// Schedules a session of an approved or published plan. The duration defaults to the standard's and may not be
    /// shorter; no room hosts two overlapping sessions.
    @discardableResult
    public static func create(_ input: SessionInput, actor: AuditActor, on db: any Database, time: any TimeSource) async throws -> ExamSession {
        let (plan, _, spec) = try await spec(planID: input.planID, level: input.level, on: db)
        var v = FieldValidator()
        if ![.approved, .published].contains(plan.statusValue) {
            v.add(FieldError(code: "plan_not_approved", field: "planID", zh: "只能为已审批或已发布的计划安排场次", en: "the plan is not approved"))
        }
        let p = try plan.plan()
        if !p.levels.contains(input.level) { v.add(FieldError(code: "level_not_offered", field: "level", zh: "该计划不含此等级", en: "the plan does not offer this level")) }
        let part = spec.parts.first { $0.part == input.mode.part }
        if part == nil {
            v.add(FieldError(code: "part_not_offered", field: "mode", zh: "该等级的标准不含“\(input.mode.part.nameZH)”", en: "the standard has no such part at this level"))
        }
        let date = LocalDate(iso: input.date)
        if date == nil { v.add(FieldError(code: "invalid_date", field: "date", zh: "请填写考试日期", en: "give the date")) }
        let start = TimeSlot.minute(of: input.start)
        if start == nil { v.add(FieldError(code: "invalid_time", field: "start", zh: "开始时间应为 HH:MM", en: "start as HH:MM")) }
        let minutes = input.minutes ?? part?.minutes ?? 90
        if let part, minutes < part.minutes {
            v.add(FieldError(code: "too_short", field: "minutes", zh: "时长不得少于标准规定的 \(part.minutes) 分钟", en: "at least \(part.minutes) minutes"))
        }
        if let start, start + minutes > 24 * 60 { v.add(FieldError(code: "invalid_time", field: "minutes", zh: "场次不能跨过午夜", en: "a session ends by midnight")) }
        let rooms = try await ExamRoom.query(on: db).filter(\.$id ~~ input.roomIDs).all()
        if rooms.isEmpty { v.add(FieldError(code: "required", field: "roomIDs", zh: "请至少选择一个考场", en: "choose at least one room")) }
        if rooms.contains(where: { $0.siteCode != input.siteCode }) {
            v.add(FieldError(code: "wrong_site", field: "roomIDs", zh: "所选考场须属于所选站点", en: "the rooms must be at the chosen site"))
        }
        try v.check()
        let slot = TimeSlot(date: date!, startMinute: start!, minutes: minutes)
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let sameDay = try await ExamSession.query(on: audit.db).filter(\.$heldOn == slot.date.description).all().filter { $0.slot.overlaps(slot) }
            if !sameDay.isEmpty {
                let used = try await SessionRoom.query(on: audit.db).filter(\.$sessionID ~~ sameDay.map { $0.id! }).filter(\.$roomID ~~ rooms.map { $0.id! }).all()
                if let clash = used.first, let room = rooms.first(where: { $0.id == clash.roomID }) {
                    throw ValidationFailure([FieldError(code: "room_busy", field: "roomIDs", zh: "考场“\(room.name)”在该时段已有其他场次",
                                                        en: "room \(room.name) is booked at that time")])
                }
            }
            let s = ExamSession()
            s.planID = input.planID
            s.level = input.level
            s.mode = input.mode.rawValue
            s.heldOn = slot.date.description
            s.startMinute = slot.startMinute
            s.minutes = slot.minutes
            s.siteCode = input.siteCode
            s.createdAt = time.now()
            try await s.create(on: audit.db)
            for room in rooms {
                let link = SessionRoom()
                link.sessionID = try s.requireID()
                link.roomID = try room.requireID()
                try await link.create(on: audit.db)
            }
            try await audit.record(AuditEvent(action: "session.create", targetType: "session", targetID: s.id?.uuidString,
                                              details: "\(plan.number) \(Level(input.level).shortName) \(input.mode.nameZH) \(slot.date) \(slot.timeText), \(rooms.count) room(s)"))
            return s
        }
    }

    public static func find(_ id: UUID, on db: any Database) async throws -> ExamSession {
        guard let s = try await ExamSession.find(id, on: db) else { throw DomainError.notFound(what: "session") }
        return s
    }

    public static func rooms(of session: ExamSession, on db: any Database) async throws -> [ExamRoom] {
        let links = try await SessionRoom.query(on: db).filter(\.$sessionID == session.requireID()).all()
        return try await ExamRoom.query(on: db).filter(\.$id ~~ links.map(\.roomID)).sort(\.$name).all()
    }

    /// The approved applications a session is for.
    public static func approvedApplications(for session: ExamSession, on db: any Database) async throws -> [StoredApplication] {
        try await StoredApplication.query(on: db).filter(\.$planID == session.planID).filter(\.$level == session.level)
            .filter(\.$status == StoredApplication.Status.approved.rawValue).sort(\.$createdAt).all()
    }

    /// Sessions overlapping a slot (other than `except`).
    static func overlapping(_ slot: TimeSlot, except: UUID?, on db: any Database) async throws -> [ExamSession] {
        try await ExamSession.query(on: db).filter(\.$heldOn == slot.date.description).all()
            .filter { $0.id != except && $0.slot.overlaps(slot) }
    }

    /// Users assigned to any session overlapping the slot.
    public static func busyUsers(at slot: TimeSlot, except: UUID? = nil, on db: any Database) async throws -> Set<UUID> {
        let sessions = try await overlapping(slot, except: except, on: db)
        guard !sessions.isEmpty else { return [] }
        return Set(try await StaffAssignment.query(on: db).filter(\.$sessionID ~~ sessions.map { $0.id! }).all().map(\.userID))
    }

    /// Seats every approved candidate at random, employers spread apart, within the rooms' capacity; refuses a
    /// candidate already seated in an overlapping session. Issues each candidate's ticket number on first seating.
    @discardableResult
    /// `only` limits the seating to those applications (a sample session of its own candidates).
    public static func allocateSeats(sessionID: UUID, seed: UInt64, actor: AuditActor, on db: any Database,
                                     time: any TimeSource, only: Set<UUID>? = nil) async throws -> [SeatAssignment] {
        let session = try await find(sessionID, on: db)
        let plan = try await PlanStore.find(session.planID, on: db)
        let rooms = try await rooms(of: session, on: db)
        let applications = try await approvedApplications(for: session, on: db).filter { only?.contains($0.id!) ?? true }
        guard !applications.isEmpty else {
            throw DomainError.conflict(code: "no_candidates", zh: "该场次还没有审核通过的考生", en: "no approved candidates yet")
        }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            if try await SeatAssignment.query(on: audit.db).filter(\.$sessionID == sessionID).filter(\.$checkedInAt != nil).count() > 0 {
                throw DomainError.conflict(code: "checked_in", zh: "已有考生签到，不能重新编排座位", en: "candidates have checked in")
            }
            let others = try await overlapping(session.slot, except: sessionID, on: audit.db)
            if !others.isEmpty {
                let clash = try await SeatAssignment.query(on: audit.db).filter(\.$sessionID ~~ others.map { $0.id! })
                    .filter(\.$candidateID ~~ applications.map(\.candidateID)).first()
                if let clash {
                    let name = try await CandidateProfile.query(on: audit.db).filter(\.$userID == clash.candidateID).first()?.fullName ?? ""
                    throw DomainError.conflict(code: "candidate_double_booked",
                                               zh: "考生\(name)已安排在同一时段的其他场次，不能重复安排", en: "a candidate is booked in an overlapping session")
                }
            }
            let seats: [SeatAllocator.Seat]
            do {
                seats = try SeatAllocator.allocate(applications.map { .init(id: $0.id!, employer: $0.employer) },
                                                   rooms: rooms.map { .init(id: $0.id!, capacity: $0.capacity) }, seed: seed)
            } catch SeatAllocator.Failure.overCapacity(let n, let capacity) {
                throw DomainError.conflict(code: "over_capacity", zh: "审核通过的考生 \(n) 人，超过所选考场容量 \(capacity) 个座位，请增加考场",
                                           en: "\(n) candidates for \(capacity) seats")
            }
            try await SeatAssignment.query(on: audit.db).filter(\.$sessionID == sessionID).delete()
            let byID = Dictionary(uniqueKeysWithValues: applications.map { ($0.id!, $0) })
            var result: [SeatAssignment] = []
            for seat in seats {
                let a = SeatAssignment()
                a.sessionID = sessionID
                a.roomID = seat.room
                a.applicationID = seat.candidate
                a.candidateID = byID[seat.candidate]!.candidateID
                a.seat = seat.number
                result.append(a)
            }
            try await result.create(on: audit.db)
            session.seatSeed = Int64(bitPattern: seed)
            try await session.save(on: audit.db)
            let issued = try await issueTickets(for: applications, plan: plan, on: audit.db, time: time)
            try await audit.record(AuditEvent(action: "session.seats", targetType: "session", targetID: sessionID.uuidString,
                                              details: "\(result.count) seat(s) in \(rooms.count) room(s), seed \(seed); \(issued) new ticket(s)"))
            return result
        }
    }

    /// Gives each application without a ticket the next number of its plan and level.
    static func issueTickets(for applications: [StoredApplication], plan: StoredPlan, on db: any Database, time: any TimeSource) async throws -> Int {
        let existing = try await AdmissionTicketRecord.query(on: db).filter(\.$applicationID ~~ applications.map { $0.id! }).all()
        let have = Set(existing.map(\.applicationID))
        var issued = 0
        for (level, group) in Dictionary(grouping: applications.filter { !have.contains($0.id!) }, by: \.level) {
            let prefix = String(TicketNumber.make(planNumber: plan.number, level: level, serial: 0).prefix(8))
            var serial = try await AdmissionTicketRecord.query(on: db).filter(\.$planID == plan.requireID())
                .filter(\.$number =~ prefix).count()
            for a in group {
                serial += 1
                let t = AdmissionTicketRecord()
                t.planID = try plan.requireID()
                t.applicationID = try a.requireID()
                t.candidateID = a.candidateID
                t.number = TicketNumber.make(planNumber: plan.number, level: level, serial: serial)
                t.issuedAt = time.now()
                try await t.create(on: db)
                issued += 1
            }
        }
        return issued
    }

    /// Why a person may not serve in a session: a declared relation or their own employer matches a candidate's.
    public static func recusals(userID: UUID, sessionID: UUID, on db: any Database) async throws -> [String] {
        try await recusals(userIDs: [userID], sessionID: sessionID, on: db)[userID] ?? []
    }

    /// The recusal reasons of several people at once: the session's candidates, relations and members are read once.
    public static func recusals(userIDs: [UUID], sessionID: UUID, on db: any Database) async throws -> [UUID: [String]] {
        let session = try await find(sessionID, on: db)
        let applications = try await approvedApplications(for: session, on: db)
        guard !applications.isEmpty, !userIDs.isEmpty else { return [:] }
        let relations = Dictionary(grouping: try await DeclaredRelation.query(on: db).filter(\.$staffID ~~ userIDs).all(), by: \.staffID)
        let members = Dictionary(try await RegistryMember.query(on: db).filter(\.$userID ~~ userIDs).all().map { ($0.userID, $0) },
                                 uniquingKeysWith: { a, _ in a })
        let profiles = Dictionary(try await CandidateProfile.query(on: db).filter(\.$userID ~~ applications.map(\.candidateID)).all()
            .map { ($0.userID, $0) }, uniquingKeysWith: { a, _ in a })
        var result: [UUID: [String]] = [:]
        for userID in userIDs {
            let declared = relations[userID] ?? []
            let employer = members[userID]?.employer ?? ""
            var reasons: [String] = []
            for a in applications {
                guard let p = profiles[a.candidateID] else { continue }
                let who = "\(p.fullName)（\(p.idNumberMasked ?? "")）"
                if let r = declared.first(where: { $0.covers(idNumberHash: p.idNumberHash, employer: p.employer) || $0.covers(idNumberHash: nil, employer: a.employer) }) {
                    reasons.append("已申报与考生\(who)存在“\(r.kindValue.nameZH)”关系\(r.note.isEmpty ? "" : "（\(r.note)）")")
                } else if !employer.isEmpty, employer == a.employer || employer == p.employer {
                    reasons.append("与考生\(who)同属“\(employer)”")
                }
            }
            if !reasons.isEmpty { result[userID] = reasons }
        }
        return result
    }

    /// Assigns a person to a session (a room, or the whole session for a supervisor), after checking the registry,
    /// other bookings at the same time, and recusal; the refusal says which candidate blocks whom and why.
    public static func assign(sessionID: UUID, userID: UUID, role: StaffRole, roomID: UUID?, drawSeed: UInt64? = nil,
                              actor: AuditActor, on db: any Database, time: any TimeSource) async throws {
        let session = try await find(sessionID, on: db)
        let (_, standard, _) = try await spec(planID: session.planID, level: session.level, on: db)
        guard let member = try await RegistryMember.query(on: db).filter(\.$userID == userID).first() else {
            throw DomainError.conflict(code: "not_in_registry", zh: "该人员不在考评员/督导员名册中", en: "not in the registry")
        }
        let pool = try await RegistryStore.qualified(for: role, occupation: standard.occupation.code, level: session.level,
                                                     slot: session.slot, on: db)
        guard pool.contains(where: { $0.userID == userID }) else {
            let busy = try await busyUsers(at: session.slot, except: sessionID, on: db).contains(userID)
            throw DomainError.conflict(code: busy ? "staff_double_booked" : "not_qualified",
                                       zh: busy ? "\(member.fullName)在同一时段已安排其他场次" : "\(member.fullName)不具备担任\(role.nameZH)的资格（状态、聘期或考评资格不符）",
                                       en: busy ? "booked in an overlapping session" : "not qualified for this role")
        }
        let blocks = try await recusals(userID: userID, sessionID: sessionID, on: db)
        if let first = blocks.first {
            throw DomainError.forbidden(code: "recusal", zh: "\(member.fullName)须回避：\(first)\(blocks.count > 1 ? " 等 \(blocks.count) 名考生" : "")",
                                        en: "\(member.fullName) must recuse: a declared relation or the same employer as a candidate")
        }
        let rooms = try await rooms(of: session, on: db)
        if role != .supervisor, roomID.map({ r in rooms.contains { $0.id == r } }) != true {
            throw ValidationFailure([FieldError(code: "required", field: "roomID", zh: "请选择考场（考评站）", en: "choose a room")])
        }
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            if try await StaffAssignment.query(on: audit.db).filter(\.$sessionID == sessionID).filter(\.$userID == userID).first() != nil {
                throw DomainError.conflict(code: "already_assigned", zh: "\(member.fullName)已在本场次中", en: "already assigned")
            }
            let a = StaffAssignment()
            a.sessionID = sessionID
            a.roomID = role == .supervisor ? nil : roomID
            a.userID = userID
            a.role = role.rawValue
            a.drawSeed = drawSeed.map { Int64(bitPattern: $0) }
            a.assignedBy = actor.id
            a.assignedAt = time.now()
            try await a.create(on: audit.db)
            try await audit.record(AuditEvent(action: "session.assign", targetType: "session", targetID: sessionID.uuidString,
                                              details: "\(role.rawValue) \(member.fullName)\(drawSeed.map { " (drawn, seed \($0))" } ?? "")"))
        }
    }

    public static func unassign(sessionID: UUID, assignmentID: UUID, actor: AuditActor, on db: any Database, time: any TimeSource) async throws {
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let a = try await StaffAssignment.find(assignmentID, on: audit.db), a.sessionID == sessionID else {
                throw DomainError.notFound(what: "assignment")
            }
            try await a.delete(on: audit.db)
            try await audit.record(AuditEvent(action: "session.unassign", targetType: "session", targetID: sessionID.uuidString,
                                              details: "\(a.role) \(a.userID.uuidString)"))
        }
    }

    /// 双随机: draws `count` people for a role from the qualified pool, leaving out those who must recuse and those
    /// already on the session; the seed is recorded on each assignment and in the audit log.
    public static func draw(sessionID: UUID, role: StaffRole, roomID: UUID?, count: Int, seed: UInt64, actor: AuditActor,
                            on db: any Database, time: any TimeSource) async throws -> [UUID] {
        let session = try await find(sessionID, on: db)
        let (_, standard, _) = try await spec(planID: session.planID, level: session.level, on: db)
        let assigned = Set(try await StaffAssignment.query(on: db).filter(\.$sessionID == sessionID).all().map(\.userID))
        let candidates = try await RegistryStore.qualified(for: role, occupation: standard.occupation.code, level: session.level,
                                                           slot: session.slot, on: db).map(\.userID).filter { !assigned.contains($0) }
        let blocked = try await recusals(userIDs: candidates, sessionID: sessionID, on: db)
        let pool = candidates.filter { blocked[$0] == nil }
        guard pool.count >= count else {
            throw DomainError.conflict(code: "pool_too_small", zh: "符合条件且无需回避的\(role.nameZH)只有 \(pool.count) 名，不足 \(count) 名",
                                       en: "only \(pool.count) qualified people are available")
        }
        let chosen = StaffDraw.draw(pool, count: count, seed: seed)
        for userID in chosen {
            try await assign(sessionID: sessionID, userID: userID, role: role, roomID: roomID, drawSeed: seed, actor: actor, on: db, time: time)
        }
        return chosen
    }

    /// How the session's staffing falls short of the standard's ratios.
    public static func staffingProblems(sessionID: UUID, on db: any Database) async throws -> [FieldError] {
        let session = try await find(sessionID, on: db)
        let (_, _, spec) = try await spec(planID: session.planID, level: session.level, on: db)
        let rooms = try await rooms(of: session, on: db)
        let seats = try await SeatAssignment.query(on: db).filter(\.$sessionID == sessionID).all()
        let staff = try await StaffAssignment.query(on: db).filter(\.$sessionID == sessionID).all()
        let approved = try await approvedApplications(for: session, on: db).count
        let perRoom: [StaffingRule.Room] = rooms.map { room in
            // Before seating, count the approved candidates against the first room so the need is visible early.
            let candidates = seats.isEmpty ? (room.id == rooms.first?.id ? approved : 0) : seats.filter { $0.roomID == room.id }.count
            var counts: [StaffRole: Int] = [:]
            for s in staff where s.roomID == room.id { counts[s.roleValue, default: 0] += 1 }
            // A chief examiner scores with the panel.
            counts[.examiner, default: 0] += counts[.chiefExaminer] ?? 0
            return StaffingRule.Room(name: room.name, candidates: candidates, staff: counts)
        }
        return StaffingRule.problems(part: session.modeValue.part, rooms: perRoom,
                                     supervisors: staff.filter { $0.roleValue == .supervisor }.count,
                                     ratios: spec.staffing ?? .common)
    }

    /// Check-in by the ticket number a scanner reads: the seat, for the clerk to compare ID and photo.
    public static func checkIn(sessionID: UUID, ticketNumber: String, actor: AuditActor, on db: any Database,
                               time: any TimeSource) async throws -> SeatAssignment {
        let number = ticketNumber.filter { !$0.isWhitespace }
        guard TicketNumber.isValid(number) else {
            throw ValidationFailure([FieldError(code: "invalid_ticket", field: "ticket", zh: "准考证号无效（校验位不符），请重新扫描或核对", en: "not a valid ticket number")])
        }
        guard let ticket = try await AdmissionTicketRecord.query(on: db).filter(\.$number == number).first(),
              let seat = try await SeatAssignment.query(on: db).filter(\.$sessionID == sessionID)
                .filter(\.$applicationID == ticket.applicationID).first() else {
            throw DomainError.conflict(code: "not_in_session", zh: "该准考证不属于本场次", en: "this ticket is not for this session")
        }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            if seat.checkedInAt == nil {
                seat.checkedInAt = time.now()
                seat.checkedInBy = actor.id
                seat.attendance = "present"
                try await seat.save(on: audit.db)
                try await audit.record(AuditEvent(action: "session.check-in", targetType: "session", targetID: sessionID.uuidString,
                                                  details: "ticket \(number)"))
            }
            return seat
        }
    }

    /// Marks everyone not checked in as absent.
    public static func closeAttendance(sessionID: UUID, actor: AuditActor, on db: any Database, time: any TimeSource) async throws -> Int {
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let missing = try await SeatAssignment.query(on: audit.db).filter(\.$sessionID == sessionID).filter(\.$checkedInAt == nil).all()
            for s in missing {
                s.attendance = "absent"
                try await s.save(on: audit.db)
            }
            try await audit.record(AuditEvent(action: "session.attendance", targetType: "session", targetID: sessionID.uuidString,
                                              details: "\(missing.count) absent"))
            return missing.count
        }
    }

    /// An incident (违纪) with its decision, or a supervisor's inspection finding.
    public static func record(sessionID: UUID, kind: String, candidateTicket: String?, text: String, decision: String?,
                              evidence: (fileName: String, data: Data)? = nil, files: (any FileStore)? = nil,
                              actor: AuditActor, on db: any Database, time: any TimeSource) async throws {
        var v = FieldValidator()
        let body = v.require(text, field: "text", label: kind == "incident" ? "违纪情况" : "督导意见", maxLength: 2000)
        if !["incident", "inspection"].contains(kind) { v.add(FieldError(code: "invalid_value", field: "kind", zh: "记录类型无效", en: "unknown kind")) }
        try v.check()
        var candidateID: UUID?
        if let t = candidateTicket?.trimmingCharacters(in: .whitespaces), !t.isEmpty {
            guard let ticket = try await AdmissionTicketRecord.query(on: db).filter(\.$number == t).first() else {
                throw ValidationFailure([FieldError(code: "unknown_ticket", field: "ticket", zh: "找不到该准考证号", en: "unknown ticket")])
            }
            candidateID = ticket.candidateID
        }
        let decided = decision?.trimmingCharacters(in: .whitespacesAndNewlines)
        let who = candidateID
        var evidenceKey: String?
        if let evidence, !evidence.data.isEmpty, let files {
            // Evidence (a photo of a note, a scan of a statement) follows the material rules: PDF, JPEG or PNG.
            let maxBytes = try await SettingsStore.value(.materialMaxKB, on: db) * 1024
            _ = try UploadRules.material(evidence.data, fileName: evidence.fileName, maxBytes: maxBytes, field: "evidence")
            evidenceKey = try await files.put(evidence.data)
        }
        let storedEvidence = evidenceKey
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let r = SessionRecord()
            r.sessionID = sessionID
            r.kind = kind
            r.candidateID = who
            r.text = body
            r.decision = decided?.isEmpty == false ? decided : nil
            r.decidedBy = r.decision == nil ? nil : actor.id
            r.evidenceKey = storedEvidence
            r.recordedBy = actor.id ?? UUID()
            r.recordedAt = time.now()
            try await r.create(on: audit.db)
            try await audit.record(AuditEvent(action: "session.\(kind)", targetType: "session", targetID: sessionID.uuidString,
                                              details: body.prefix(200) + (r.decision.map { "; decision: \($0)" } ?? "")))
        }
    }
}
