import Fluent
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import Vapor

/// Exam affairs: rooms, sessions, seats, admission tickets, staffing with recusal, and the exam day.
enum SessionsController {
    static let affairs: Set<Role> = [.administrator, .examAffairs]
    static let dayStaff: Set<Role> = [.administrator, .examAffairs, .supervisor, .examiner]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "rooms", access: .anyOf(affairs), use: rooms)
        r.endpoint(.POST, "rooms", access: .anyOf(affairs), use: createRoom)
        r.endpoint(.GET, "sessions", access: .anyOf(affairs), use: list)
        r.endpoint(.POST, "sessions", access: .anyOf(affairs), use: create)
        r.endpoint(.GET, "sessions/:id", access: .anyOf(dayStaff), use: show)
        r.endpoint(.POST, "sessions/:id/seats", access: .anyOf(affairs), use: seats)
        r.endpoint(.POST, "sessions/:id/staff", access: .anyOf(affairs), use: assign)
        r.endpoint(.POST, "sessions/:id/draw", access: .anyOf(affairs), use: draw)
        r.endpoint(.POST, "sessions/:id/staff/:assignment/remove", access: .anyOf(affairs), use: unassign)
        r.endpoint(.GET, "sessions/:id/tickets.pdf", access: .anyOf(affairs), use: ticketsPDF)
        r.endpoint(.GET, "sessions/:id/sign-in.pdf", access: .anyOf(dayStaff), use: signInSheet)
        r.endpoint(.POST, "sessions/:id/check-in", access: .anyOf(dayStaff), use: checkIn)
        r.endpoint(.GET, "sessions/:id/photo/:candidate", access: .anyOf(dayStaff), use: candidatePhoto)
        r.endpoint(.POST, "sessions/:id/attendance/close", access: .anyOf(affairs), use: closeAttendance)
        r.endpoint(.POST, "sessions/:id/records", access: .anyOf(dayStaff), body: .collect(maxSize: "20mb"), use: record)
        r.endpoint(.GET, "sessions/:id/records/:record/evidence", access: .anyOf(dayStaff), use: evidence)
        r.endpoint(.GET, "sessions/:id/room-record.pdf", access: .anyOf(dayStaff), use: roomRecord)
        r.endpoint(.GET, "me/tickets", access: .anyOf([.candidate]), use: myTickets)
        r.endpoint(.GET, "me/tickets/:number", access: .anyOf([.candidate]), use: myTicketPDF)
        r.endpoint(.GET, "api/v1/sessions/:id/candidates", access: .anyOf(affairs),
                   api: APIDoc("The candidates of a session: ticket number, name, full ID number, room and seat", tag: "exams",
                               response: "SessionCandidates", errors: [404]),
                   use: apiCandidates)
    }

    // MARK: Rooms

    @Sendable static func rooms(req: Request) async throws -> Response {
        try await renderRooms(req, errors: [])
    }

    static func renderRooms(_ req: Request, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let sites = try await BodyStore.load(on: req.db)?.sites ?? []
        let rows = try await ExamRoom.query(on: req.db).sort(\.$siteCode).sort(\.$name).all().map { r in
            "<tr><td>\(esc(sites.first { $0.code == r.siteCode }?.name ?? r.siteCode))</td><td>\(esc(r.name))</td><td>\(r.capacity)</td><td>\(r.seatRows) × \(r.seatColumns)</td></tr>"
        }.joined()
        let content = """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <table><thead><tr><th>\(req.tr("站点", "Site"))</th><th>\(req.tr("考场", "Room"))</th><th>\(req.tr("容量", "Seats"))</th><th>\(req.tr("座位布局（行×列）", "Layout"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"4\" class=\"muted\">\(req.tr("尚未设置考场", "No rooms yet"))</td></tr>" : rows)</tbody></table>
            <h2>\(req.tr("新增考场", "Add a room"))</h2>
            <form method="post" action="/rooms">\(H.csrf(req))
            \(H.select(req.tr("站点", "Site"), name: "siteCode", options: sites.map { ($0.code, $0.name) }, selected: sites.first?.code ?? "", errors: errors, req: req))
            \(H.field(req.tr("考场名称", "Name"), name: "name", required: true, errors: errors, req: req))
            \(H.field(req.tr("座位行数", "Rows"), name: "rows", value: "5", type: "number", required: true, errors: errors, req: req))
            \(H.field(req.tr("座位列数", "Columns"), name: "columns", value: "6", type: "number", required: true, errors: errors, req: req))
            \(H.field(req.tr("容量（留空为行×列）", "Capacity (empty: rows × columns)"), name: "capacity", type: "number", errors: errors, req: req))
            <div class="actions"><button type="submit" id="add-room">\(req.tr("保存", "Save"))</button></div></form>
            """
        let response = Layout.page(req, title: req.tr("考场", "Rooms"), active: "/sessions", content)
        response.status = status
        return response
    }

    @Sendable static func createRoom(req: Request) async throws -> Response {
        struct Form: Content { var siteCode: String?; var name: String?; var rows: String?; var columns: String?; var capacity: String? }
        let f = try req.content.decode(Form.self)
        do {
            try await RoomStore.create(siteCode: f.siteCode ?? "", name: f.name ?? "", rows: Int(f.rows ?? "") ?? 0, columns: Int(f.columns ?? "") ?? 0,
                                       capacity: f.capacity.flatMap { Int($0) }, actor: try req.requireUser().actor, on: req.db, time: req.time)
        } catch let failure as ValidationFailure {
            return try await renderRooms(req, errors: failure.errors, status: .unprocessableEntity)
        }
        return req.redirect(to: "/rooms?done=\(req.tr("已保存", "Saved").urlQueryEncoded)")
    }

    // MARK: Sessions

    @Sendable static func list(req: Request) async throws -> Response {
        try await renderList(req, errors: [])
    }

    static func renderList(_ req: Request, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let sessions = try await ExamSession.query(on: req.db).sort(\.$heldOn).sort(\.$startMinute).all()
        let plans = try await StoredPlan.query(on: req.db).filter(\.$status ~~ [PlanStatus.approved.rawValue, PlanStatus.published.rawValue]).all()
        let planNames = Dictionary(try await StoredPlan.query(on: req.db).all().map { ($0.id!, "\($0.number) \($0.title)") }, uniquingKeysWith: { a, _ in a })
        let sites = try await BodyStore.load(on: req.db)?.sites ?? []
        let allRooms = try await ExamRoom.query(on: req.db).sort(\.$name).all()
        var rows = ""
        for s in sessions {
            let seated = try await SeatAssignment.query(on: req.db).filter(\.$sessionID == s.id!).count()
            rows += "<tr><td><a href=\"/sessions/\(s.id!.uuidString)\">\(esc(s.heldOn)) \(s.slot.timeText)</a></td><td>\(esc(planNames[s.planID] ?? ""))</td><td>\(Level(s.level).shortName)</td><td>\(s.modeValue.nameZH)</td><td>\(esc(sites.first { $0.code == s.siteCode }?.name ?? s.siteCode))</td><td>\(seated)</td></tr>"
        }
        let modes = ExamSession.Mode.allCases.map { ($0.rawValue, "\($0.nameZH)（\($0.part.nameZH)）") }
        let roomBoxes = allRooms.map { r in
            "<label><input type=\"checkbox\" name=\"rooms[]\" value=\"\(r.id!.uuidString)\"> \(esc(sites.first { $0.code == r.siteCode }?.name ?? r.siteCode)) · \(esc(r.name))（\(r.capacity)）</label>"
        }.joined(separator: " ")
        let content = """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <p><a href="/rooms">\(req.tr("管理考场", "Rooms"))</a></p>
            <table><thead><tr><th>\(req.tr("时间", "When"))</th><th>\(req.tr("计划", "Plan"))</th><th>\(req.tr("等级", "Level"))</th><th>\(req.tr("形式", "Mode"))</th><th>\(req.tr("站点", "Site"))</th><th>\(req.tr("已排座", "Seated"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"6\" class=\"muted\">\(req.tr("尚无场次", "No sessions yet"))</td></tr>" : rows)</tbody></table>
            <h2>\(req.tr("安排场次", "Schedule a session"))</h2>
            <form method="post" action="/sessions">\(H.csrf(req))
            \(H.select(req.tr("认定计划", "Plan"), name: "planID", options: plans.map { ($0.id!.uuidString, "\($0.number) \($0.title)") }, selected: plans.first?.id?.uuidString ?? "", errors: errors, req: req))
            \(H.select(req.tr("等级", "Level"), name: "level", options: (1...5).reversed().map { (String($0), Level($0).fullName) }, selected: "4", errors: errors, req: req))
            \(H.select(req.tr("形式", "Mode"), name: "mode", options: modes, selected: "paper", errors: errors, req: req))
            \(H.field(req.tr("日期", "Date"), name: "date", type: "date", required: true, errors: errors, req: req))
            \(H.field(req.tr("开始时间", "Start"), name: "start", value: "09:00", type: "time", required: true, errors: errors, req: req))
            \(H.field(req.tr("时长（分钟，留空按标准）", "Minutes (empty: the standard's)"), name: "minutes", type: "number", errors: errors, req: req))
            \(H.select(req.tr("站点", "Site"), name: "siteCode", options: sites.map { ($0.code, $0.name) }, selected: sites.first?.code ?? "", errors: errors, req: req))
            <div class="field"><span>\(req.tr("考场", "Rooms"))</span> \(roomBoxes)\(H.fieldErrors(errors, "roomIDs", req))</div>
            <div class="actions"><button type="submit" id="create-session">\(req.tr("保存场次", "Save"))</button></div></form>
            """
        let response = Layout.page(req, title: req.tr("考务场次", "Sessions"), active: "/sessions", content)
        response.status = status
        return response
    }

    struct SessionForm: Content {
        var planID: String?
        var level: String?
        var mode: String?
        var date: String?
        var start: String?
        var minutes: String?
        var siteCode: String?
        var rooms: [String]?
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let f = try req.content.decode(SessionForm.self)
        do {
            guard let planID = f.planID.flatMap(UUID.init(uuidString:)) else { throw ValidationFailure([.required("planID", label: "认定计划")]) }
            let s = try await SessionStore.create(.init(planID: planID, level: Int(f.level ?? "") ?? 0, mode: ExamSession.Mode(rawValue: f.mode ?? "") ?? .paper,
                                                        date: f.date ?? "", start: f.start ?? "", minutes: f.minutes.flatMap { Int($0) },
                                                        siteCode: f.siteCode ?? "", roomIDs: (f.rooms ?? []).compactMap(UUID.init(uuidString:))),
                                                  actor: try req.requireUser().actor, on: req.db, time: req.time)
            return req.redirect(to: "/sessions/\(s.id!.uuidString)?done=\(req.tr("场次已保存", "Saved").urlQueryEncoded)")
        } catch let failure as ValidationFailure {
            return try await renderList(req, errors: failure.errors, status: .unprocessableEntity)
        }
    }

    static func session(_ req: Request) async throws -> ExamSession {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "session") }
        return try await SessionStore.find(id, on: req.db)
    }

    /// A session's papers (attached by exam affairs, opened at the start) and the way on: the invigilator console for
    /// a computer-based session, score entry and answer sheets for a paper-based one, panel scoring and the results
    /// for a skills or review session.
    static func paperSection(_ req: Request, session s: ExamSession, isAffairs: Bool) async throws -> String {
        let id = try s.requireID().uuidString
        let attached = try await SessionPaper.query(on: req.db).filter(\.$sessionID == s.requireID()).all().map(\.paperID)
        let papers = try await StoredPaper.query(on: req.db).filter(\.$level == s.level).filter(\.$part == s.modeValue.part.rawValue)
            .sort(\.$createdAt, .descending).limit(50).all()
        let listed = papers.filter { attached.contains($0.id!) }.map { p in
            "<li>\(esc(p.label)) · \(p.itemCount) \(req.tr("题", "items")) · \(p.status == StoredPaper.Status.sealed.rawValue ? req.tr("密封，开考时启封", "sealed until the start") : req.tr("已启封", "open"))</li>"
        }.joined()
        let choices = papers.filter { !attached.contains($0.id!) }.map { ($0.id!.uuidString, "\($0.label) · \($0.itemCount) 题 · \(AuditRecord.timestamp($0.createdAt).prefix(10))") }
        let form = isAffairs && !choices.isEmpty ? """
            <form method="post" action="/sessions/\(id)/papers" class="filters">\(H.csrf(req))
            \(H.select(req.tr("指定试卷", "Attach a paper"), name: "paperID", options: choices, selected: "", errors: [], req: req))
            <button type="submit">\(req.tr("指定", "Attach"))</button></form>
            """ : ""
        if s.modeValue == .practical || s.modeValue == .review {
            let rubric = s.modeValue == .review && listed.isEmpty
                ? "<li class=\"muted\">\(req.tr("未指定评审试卷时，使用内置的综合评审评分表（材料 60 分、答辩 40 分）", "Without a paper the built-in review rubric is used (dossier 60, defence 40)"))</li>" : ""
            return """
                <h2>\(req.tr("考核任务与考评评分", "Tasks and panel scoring"))</h2>
                <p>\(req.tr("本考场的考评员各自独立填写评分记录表；评分差超过阈值或否决项判定不一致时由考评组长仲裁。", "Each examiner of a room fills in the score sheet independently; the chief examiner arbitrates a spread or a split veto."))
                <a class="button secondary" href="/plans/\(s.planID.uuidString)/results">\(req.tr("认定成绩", "Results"))</a></p>
                <ul>\(listed.isEmpty ? rubric.isEmpty ? "<li class=\"muted\">\(req.tr("尚未指定考核试卷", "No paper attached yet"))</li>" : rubric : listed)</ul>
                \(form)
                """
        }
        guard s.modeValue == .computer else {
            return """
                <h2>\(req.tr("笔试试卷与成绩", "Paper and scores"))</h2>
                <p>\(req.tr("指定本场次使用的试卷后，可导入光电阅卷结果自动评分；也可由两人分别录入卷面成绩。", "Attach the paper to grade optical-reader sheets, or have two people key in the scores."))
                \(isAffairs ? "<a class=\"button secondary\" id=\"scores\" href=\"/sessions/\(id)/scores\">\(req.tr("成绩录入", "Score entry"))</a>" : "")</p>
                <ul>\(listed.isEmpty ? "<li class=\"muted\">\(req.tr("尚未指定试卷", "No paper attached yet"))</li>" : listed)</ul>
                \(form)
                """
        }
        return """
            <h2>\(req.tr("机考", "Computer-based exam"))</h2>
            <p>\(req.tr("考生在 /exam 用准考证号和证件号码登录", "Candidates sign in at /exam with ticket and ID number"))\(s.sessionPassword.map { _ in req.tr("，并输入考场密码", " and the session password") } ?? "")。
            <a class="button secondary" href="/sessions/\(id)/console">\(req.tr("机考监考台", "Invigilator console"))</a></p>
            <ul>\(listed.isEmpty ? "<li class=\"muted\">\(req.tr("尚未指定试卷", "No paper attached yet"))</li>" : listed)</ul>
            \(form)
            """
    }

    /// Everything about one session: rooms and seats, staffing and its shortfalls, the qualified pool with recusal
    /// reasons, tickets, check-in, attendance and records.
    @Sendable static func show(req: Request) async throws -> Response {
        let s = try await session(req)
        let id = s.id!.uuidString
        let plan = try await PlanStore.find(s.planID, on: req.db)
        let standard = try await StandardStore.find(id: plan.standardID, on: req.db).standard()
        let rooms = try await SessionStore.rooms(of: s, on: req.db)
        let roomNames = Dictionary(uniqueKeysWithValues: rooms.map { ($0.id!, $0.name) })
        let seats = try await SeatAssignment.query(on: req.db).filter(\.$sessionID == s.id!).sort(\.$seat).all()
        let profiles = Dictionary(try await CandidateProfile.query(on: req.db).filter(\.$userID ~~ seats.map(\.candidateID)).all().map { ($0.userID, $0) },
                                  uniquingKeysWith: { a, _ in a })
        let tickets = Dictionary(try await AdmissionTicketRecord.query(on: req.db).filter(\.$applicationID ~~ seats.map(\.applicationID)).all()
            .map { ($0.applicationID, $0.number) }, uniquingKeysWith: { a, _ in a })
        let approved = try await SessionStore.approvedApplications(for: s, on: req.db)
        let staff = try await StaffAssignment.query(on: req.db).filter(\.$sessionID == s.id!).all()
        let members = Dictionary(try await RegistryMember.query(on: req.db).all().map { ($0.userID, $0) }, uniquingKeysWith: { a, _ in a })
        let problems = try await SessionStore.staffingProblems(sessionID: s.id!, on: req.db)
        let records = try await SkillCertPersistence.SessionRecord.query(on: req.db).filter(\.$sessionID == s.id!).sort(\.$recordedAt).all()
        let isAffairs = !(try req.requireUser().roles.isDisjoint(with: affairs))

        let seatRows = seats.sorted { (roomNames[$0.roomID] ?? "", $0.seat) < (roomNames[$1.roomID] ?? "", $1.seat) }.map { seat in
            let p = profiles[seat.candidateID]
            let mark = seat.attendance == "present" ? "<span class=\"badge ok\">\(req.tr("已签到", "present"))</span>" : seat.attendance == "absent" ? "<span class=\"badge bad\">\(req.tr("缺考", "absent"))</span>" : ""
            return "<tr><td>\(esc(roomNames[seat.roomID] ?? ""))</td><td>\(seat.seat)</td><td class=\"mono\">\(esc(tickets[seat.applicationID] ?? ""))</td><td>\(esc(p?.fullName ?? ""))</td><td class=\"mono\">\(esc(p?.idNumberMasked ?? ""))</td><td>\(esc(approved.first { $0.id == seat.applicationID }?.employer ?? ""))</td><td>\(mark)</td></tr>"
        }.joined()
        let staffRows = staff.map { a -> String in
            let remove = isAffairs ? "<form method=\"post\" action=\"/sessions/\(id)/staff/\(a.id!.uuidString)/remove\" data-confirm=\"\(req.tr("确定移除？", "Remove?"))\">\(H.csrf(req))<button type=\"submit\" class=\"secondary\">\(req.tr("移除", "Remove"))</button></form>" : ""
            return "<tr><td>\(esc(members[a.userID]?.fullName ?? ""))</td><td>\(a.roleValue.nameZH)</td><td>\(esc(a.roomID.flatMap { roomNames[$0] } ?? req.tr("全场", "whole session")))</td><td>\(a.drawSeed.map { "\(req.tr("随机抽取", "drawn")) · seed \(UInt64(bitPattern: $0))" } ?? req.tr("指定", "assigned"))</td><td>\(remove)</td></tr>"
        }.joined()
        // The pool for each role, with the reason a person must recuse.
        var poolRows = ""
        if isAffairs {
            var pool: [RegistryMember] = []
            for role in StaffRole.allCases {
                for m in try await RegistryStore.qualified(for: role, occupation: standard.occupation.code, level: s.level, slot: s.slot, on: req.db)
                where !pool.contains(where: { $0.userID == m.userID }) && !staff.contains(where: { $0.userID == m.userID }) {
                    pool.append(m)
                }
            }
            let blocked = try await SessionStore.recusals(userIDs: pool.map(\.userID), sessionID: s.id!, on: req.db)
            for m in pool {
                let reasons = blocked[m.userID] ?? []
                poolRows += "<tr data-user=\"\(m.userID.uuidString)\"><td>\(esc(m.fullName))</td><td>\(m.kindValue.nameZH)</td><td>\(esc(m.employer))</td><td>\(reasons.isEmpty ? "<span class=\"badge ok\">\(req.tr("可安排", "available"))</span>" : "<span class=\"badge bad recusal\">\(req.tr("须回避", "must recuse"))</span> \(esc(reasons.joined(separator: "；")))")</td></tr>"
            }
        }
        let people = try await RegistryMember.query(on: req.db).filter(\.$status == RegistryMember.Status.active.rawValue).sort(\.$fullName).all()
        let roomOptions = rooms.map { ($0.id!.uuidString, $0.name) }
        let roleOptions = StaffRole.allCases.map { ($0.rawValue, $0.nameZH) }
        let recordRows = records.map { r -> String in
            let evidence = r.evidenceKey == nil ? "" : " <a href=\"/sessions/\(id)/records/\(r.id!.uuidString)/evidence\" target=\"_blank\">\(req.tr("证据", "evidence"))</a>"
            return "<li>\(H.time(r.recordedAt)) \(r.kind == "incident" ? req.tr("违纪", "Incident") : req.tr("督导检查", "Inspection"))：\(esc(r.text))\(r.decision.map { "（\(req.tr("处理", "decision"))：\(esc($0))）" } ?? "")\(evidence)</li>"
        }.joined()
        let affairsForms = isAffairs ? """
            <form method="post" action="/sessions/\(id)/seats" class="filters">\(H.csrf(req))
            \(H.field(req.tr("随机种子（留空自动生成）", "Seed (empty: random)"), name: "seed", type: "number", req: req))
            <button type="submit" id="allocate">\(req.tr(seats.isEmpty ? "编排座位并生成准考证" : "重新编排座位", seats.isEmpty ? "Allocate seats and issue tickets" : "Re-allocate"))</button></form>
            \(seats.isEmpty ? "" : "<p><a class=\"button secondary\" id=\"tickets\" href=\"/sessions/\(id)/tickets.pdf\">\(req.tr("打印全部准考证（PDF）", "All tickets (PDF)"))</a></p>")
            <h2>\(req.tr("人员安排", "Staffing"))</h2>
            \(problems.isEmpty ? "<div class=\"alert alert-ok\" id=\"staffing-ok\">\(req.tr("人员配置符合标准要求的比例", "Staffing meets the standard's ratios"))</div>" : "<div class=\"alert alert-error\" id=\"staffing-problems\"><ul>\(problems.map { "<li>\(esc(req.message($0)))</li>" }.joined())</ul></div>")
            <table><thead><tr><th>\(req.tr("姓名", "Name"))</th><th>\(req.tr("职责", "Role"))</th><th>\(req.tr("考场", "Room"))</th><th>\(req.tr("方式", "How"))</th><th></th></tr></thead><tbody>\(staffRows)</tbody></table>
            <form method="post" action="/sessions/\(id)/staff" class="filters">\(H.csrf(req))
            \(H.select(req.tr("人员", "Person"), name: "userID", options: people.map { ($0.userID.uuidString, "\($0.fullName)（\($0.kindValue.nameZH)）") }, selected: "", req: req))
            \(H.select(req.tr("职责", "Role"), name: "role", options: roleOptions, selected: s.modeValue.part == .theory ? "invigilator" : "examiner", req: req))
            \(H.select(req.tr("考场", "Room"), name: "roomID", options: roomOptions, selected: roomOptions.first?.0 ?? "", req: req))
            <button type="submit" id="assign">\(req.tr("安排", "Assign"))</button></form>
            <form method="post" action="/sessions/\(id)/draw" class="filters">\(H.csrf(req))
            \(H.select(req.tr("职责", "Role"), name: "drawRole", options: roleOptions, selected: s.modeValue.part == .theory ? "invigilator" : "examiner", req: req))
            \(H.select(req.tr("考场", "Room"), name: "drawRoomID", options: roomOptions, selected: roomOptions.first?.0 ?? "", req: req))
            \(H.field(req.tr("人数", "How many"), name: "count", value: "1", type: "number", req: req))
            \(H.field(req.tr("随机种子（留空自动生成）", "Seed"), name: "drawSeed", type: "number", req: req))
            <button type="submit" class="secondary" id="draw">\(req.tr("双随机抽取", "Random draw"))</button></form>
            <h3>\(req.tr("可安排人员与回避情况", "The qualified pool and recusals"))</h3>
            <table id="pool"><thead><tr><th>\(req.tr("姓名", "Name"))</th><th>\(req.tr("类别", "Kind"))</th><th>\(req.tr("工作单位", "Employer"))</th><th>\(req.tr("回避", "Recusal"))</th></tr></thead><tbody>\(poolRows)</tbody></table>
            """ : ""
        let computerBased = try await paperSection(req, session: s, isAffairs: isAffairs)
        let content = """
            \(H.notice(req))
            <p>\(esc(plan.number)) \(esc(plan.title)) · \(Level(s.level).fullName) · \(s.modeValue.nameZH)（\(s.modeValue.part.nameZH)）· \(esc(s.heldOn)) \(s.slot.timeText) · \(req.tr("审核通过考生", "approved")) \(approved.count) \(req.tr("人", ""))</p>
            <h2>\(req.tr("座位", "Seats"))</h2>
            \(affairsForms.isEmpty ? "" : "")
            <table id="seats"><thead><tr><th>\(req.tr("考场", "Room"))</th><th>\(req.tr("座号", "Seat"))</th><th>\(req.tr("准考证号", "Ticket"))</th><th>\(req.tr("姓名", "Name"))</th><th>\(req.tr("证件号码", "ID"))</th><th>\(req.tr("工作单位", "Employer"))</th><th>\(req.tr("签到", "Check-in"))</th></tr></thead>
            <tbody>\(seatRows.isEmpty ? "<tr><td colspan=\"7\" class=\"muted\">\(req.tr("尚未编排座位", "No seats yet"))</td></tr>" : seatRows)</tbody></table>
            \(affairsForms)
            \(computerBased)
            <h2>\(req.tr("考试当天", "Exam day"))</h2>
            <p><a class="button secondary" href="/sessions/\(id)/sign-in.pdf">\(req.tr("签到表（PDF）", "Sign-in sheet (PDF)"))</a></p>
            <form method="post" action="/sessions/\(id)/check-in" class="filters">\(H.csrf(req))
            \(H.field(req.tr("扫描准考证二维码或输入准考证号", "Scan the ticket or type its number"), name: "ticket", req: req, attrs: "autofocus autocomplete=\"off\""))
            <button type="submit" id="check-in">\(req.tr("签到", "Check in"))</button></form>
            \(isAffairs ? "<form method=\"post\" action=\"/sessions/\(id)/attendance/close\" data-confirm=\"\(req.tr("将未签到的考生记为缺考？", "Mark everyone not checked in as absent?"))\">\(H.csrf(req))<button type=\"submit\" class=\"secondary\">\(req.tr("结束签到，未到记缺考", "Close check-in"))</button></form>" : "")
            <h3>\(req.tr("违纪与督导记录", "Incidents and inspections"))</h3>
            <ul>\(recordRows.isEmpty ? "<li class=\"muted\">\(req.tr("无", "None"))</li>" : recordRows)</ul>
            <form method="post" action="/sessions/\(id)/records" enctype="multipart/form-data">\(H.csrf(req))
            \(H.select(req.tr("类型", "Kind"), name: "kind", options: [("incident", req.tr("违纪", "Incident")), ("inspection", req.tr("督导检查", "Inspection"))], selected: "inspection", req: req))
            \(H.field(req.tr("准考证号（违纪时填写）", "Ticket (for an incident)"), name: "ticket", req: req))
            \(H.field(req.tr("情况", "What happened / findings"), name: "text", req: req))
            \(H.field(req.tr("处理决定", "Decision"), name: "decision", req: req))
            <div class="field"><label for="f-evidence">\(req.tr("证据（可选：照片或扫描件，PDF/JPEG/PNG）", "Evidence (optional: PDF, JPEG or PNG)"))</label><input id="f-evidence" type="file" name="evidence" accept=".pdf,.jpg,.jpeg,.png"></div>
            <div class="actions"><button type="submit" id="record">\(req.tr("记录", "Record"))</button></div></form>
            <p><a class="button secondary" href="/sessions/\(id)/room-record.pdf">\(req.tr("考场记录（PDF）", "Room record (PDF)"))</a></p>
            """
        return Layout.page(req, title: req.tr("场次", "Session"), active: "/sessions", content)
    }

    static func seed(_ text: String?) -> UInt64 {
        text.flatMap { UInt64($0.trimmingCharacters(in: .whitespaces)) } ?? UInt64.random(in: 1...999_999_999)
    }

    @Sendable static func seats(req: Request) async throws -> Response {
        let s = try await session(req)
        let seed = seed(try? req.content.get(String.self, at: "seed"))
        try await SessionStore.allocateSeats(sessionID: s.requireID(), seed: seed, actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/sessions/\(s.id!.uuidString)?done=\(req.tr("座位已编排（随机种子 \(seed)）", "Seats allocated (seed \(seed))").urlQueryEncoded)")
    }

    @Sendable static func assign(req: Request) async throws -> Response {
        let s = try await session(req)
        guard let userID = (try? req.content.get(String.self, at: "userID")).flatMap(UUID.init(uuidString:)),
              let role = StaffRole(rawValue: (try? req.content.get(String.self, at: "role")) ?? "") else {
            throw WebError.badField("userID", zh: "请选择人员和职责", en: "choose a person and a role")
        }
        let roomID = (try? req.content.get(String.self, at: "roomID")).flatMap(UUID.init(uuidString:))
        try await SessionStore.assign(sessionID: s.requireID(), userID: userID, role: role, roomID: roomID,
                                      actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/sessions/\(s.id!.uuidString)?done=\(req.tr("已安排", "Assigned").urlQueryEncoded)")
    }

    @Sendable static func draw(req: Request) async throws -> Response {
        let s = try await session(req)
        guard let role = StaffRole(rawValue: (try? req.content.get(String.self, at: "drawRole")) ?? "") else {
            throw WebError.badField("drawRole", zh: "请选择职责", en: "choose a role")
        }
        let count = Int((try? req.content.get(String.self, at: "count")) ?? "") ?? 1
        guard (1...20).contains(count) else { throw WebError.badField("count", zh: "人数应在 1–20 之间", en: "1–20") }
        let seed = seed(try? req.content.get(String.self, at: "drawSeed"))
        let roomID = (try? req.content.get(String.self, at: "drawRoomID")).flatMap(UUID.init(uuidString:))
        _ = try await SessionStore.draw(sessionID: s.requireID(), role: role, roomID: roomID, count: count, seed: seed,
                                        actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/sessions/\(s.id!.uuidString)?done=\(req.tr("已随机抽取（种子 \(seed)）", "Drawn (seed \(seed))").urlQueryEncoded)")
    }

    @Sendable static func unassign(req: Request) async throws -> Response {
        let s = try await session(req)
        guard let aid = req.parameters.get("assignment").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "assignment") }
        try await SessionStore.unassign(sessionID: s.requireID(), assignmentID: aid, actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/sessions/\(s.id!.uuidString)?done=\(req.tr("已移除", "Removed").urlQueryEncoded)")
    }

    @Sendable static func checkIn(req: Request) async throws -> Response {
        let s = try await session(req)
        let seat = try await SessionStore.checkIn(sessionID: s.requireID(), ticketNumber: (try? req.content.get(String.self, at: "ticket")) ?? "",
                                                  actor: try req.requireUser().actor, on: req.db, time: req.time)
        let p = try await CandidateProfile.query(on: req.db).filter(\.$userID == seat.candidateID).first()
        let room = try await ExamRoom.find(seat.roomID, on: req.db)
        let photo = p?.photoKey == nil ? "<p class=\"muted\">\(req.tr("无照片", "No photo"))</p>"
            : "<img src=\"/sessions/\(s.id!.uuidString)/photo/\(seat.candidateID.uuidString)\" width=\"100\" height=\"140\" alt=\"\">"
        let content = """
            <div class="alert alert-ok" id="checked-in">\(req.tr("已签到", "Checked in"))：\(esc(p?.fullName ?? "")) · \(esc(p?.idNumberMasked ?? "")) · \(esc(room?.name ?? "")) \(req.tr("座号", "seat")) \(seat.seat)</div>
            <p>\(req.tr("请核对考生本人、身份证件与照片是否一致。", "Compare the person, the ID card and the photo."))</p>\(photo)
            <p><a class="button" href="/sessions/\(s.id!.uuidString)">\(req.tr("继续签到", "Next"))</a></p>
            """
        return Layout.page(req, title: req.tr("签到", "Check-in"), active: "/sessions", content)
    }

    /// A seated candidate's photo, for the check-in comparison.
    @Sendable static func candidatePhoto(req: Request) async throws -> Response {
        let s = try await session(req)
        guard let candidate = req.parameters.get("candidate").flatMap(UUID.init(uuidString:)),
              try await SeatAssignment.query(on: req.db).filter(\.$sessionID == s.requireID()).filter(\.$candidateID == candidate).first() != nil,
              let p = try await CandidateProfile.query(on: req.db).filter(\.$userID == candidate).first(),
              let key = p.photoKey, let data = try await req.application.fileStore.get(key) else { throw DomainError.notFound(what: "photo") }
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.replaceOrAdd(name: .contentType, value: p.photoMediaType ?? "image/jpeg")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    @Sendable static func closeAttendance(req: Request) async throws -> Response {
        let s = try await session(req)
        let n = try await SessionStore.closeAttendance(sessionID: s.requireID(), actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/sessions/\(s.id!.uuidString)?done=\(req.tr("签到结束，缺考 \(n) 人", "Closed; \(n) absent").urlQueryEncoded)")
    }

    @Sendable static func record(req: Request) async throws -> Response {
        let s = try await session(req)
        struct Form: Content { var kind: String?; var ticket: String?; var text: String?; var decision: String?; var evidence: File? }
        let f = try req.content.decode(Form.self)
        try await SessionStore.record(sessionID: s.requireID(), kind: f.kind ?? "", candidateTicket: f.ticket, text: f.text ?? "", decision: f.decision,
                                      evidence: f.evidence.map { ($0.filename, Data(buffer: $0.data)) }, files: req.application.fileStore,
                                      actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/sessions/\(s.id!.uuidString)?done=\(req.tr("已记录", "Recorded").urlQueryEncoded)")
    }

    /// An incident's evidence file.
    @Sendable static func evidence(req: Request) async throws -> Response {
        let s = try await session(req)
        guard let rid = req.parameters.get("record").flatMap(UUID.init(uuidString:)),
              let r = try await SkillCertPersistence.SessionRecord.find(rid, on: req.db), r.sessionID == s.id, let key = r.evidenceKey,
              let data = try await req.application.fileStore.get(key), let kind = ContentKind.sniff(data) else {
            throw DomainError.notFound(what: "evidence")
        }
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.replaceOrAdd(name: .contentType, value: kind.mediaType)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    /// The room record (考场记录): for each room, the staff, attendance, absences, incidents and inspections, to sign.
    @Sendable static func roomRecord(req: Request) async throws -> Response {
        let s = try await session(req)
        let record = try await SessionDocuments.roomRecord(s, plan: try await PlanStore.find(s.planID, on: req.db), on: req.db)
        return pdfResponse(try RoomRecord.render(record), filename: "room-record-\(s.heldOn).pdf")
    }

    // MARK: Tickets

    /// The tickets of these applications, ready to render: every seated session of the plan with room and seat.
    static func tickets(applicationIDs: [UUID], req: Request) async throws -> [AdmissionTicket] {
        let records = try await AdmissionTicketRecord.query(on: req.db).filter(\.$applicationID ~~ applicationIDs).sort(\.$number).all()
        let body = try await BodyStore.load(on: req.db)
        let rules = ["考生凭准考证和有效身份证件入场，证件须与报名时一致。", "开考 15 分钟后不得入场；考试期间不得提前离场。",
                     "除规定文具外，手机等电子设备须关机后存放在指定位置。", "服从监考人员和督导员的管理，违纪按有关规定处理。"]
        // Everything the tickets show, read once for the whole batch rather than per ticket.
        func byID<M: Model>(_ rows: [M]) -> [UUID: M] where M.IDValue == UUID {
            Dictionary(rows.compactMap { m in m.id.map { ($0, m) } }, uniquingKeysWith: { a, _ in a })
        }
        let applications = byID(try await StoredApplication.query(on: req.db).filter(\.$id ~~ records.map(\.applicationID)).all())
        let plans = byID(try await StoredPlan.query(on: req.db).filter(\.$id ~~ Array(Set(records.map(\.planID)))).all())
        let profiles = Dictionary(try await CandidateProfile.query(on: req.db).filter(\.$userID ~~ records.map(\.candidateID)).all().map { ($0.userID, $0) },
                                  uniquingKeysWith: { a, _ in a })
        let seats = Dictionary(grouping: try await SeatAssignment.query(on: req.db).filter(\.$applicationID ~~ records.map(\.applicationID)).all(),
                               by: \.applicationID)
        let allSeats = seats.values.flatMap { $0 }
        let sessions = byID(try await ExamSession.query(on: req.db).filter(\.$id ~~ Array(Set(allSeats.map(\.sessionID)))).all())
        let rooms = byID(try await ExamRoom.query(on: req.db).filter(\.$id ~~ Array(Set(allSeats.map(\.roomID)))).all())
        var result: [AdmissionTicket] = []
        for t in records {
            guard let application = applications[t.applicationID], let plan = plans[t.planID], let profile = profiles[t.candidateID] else { continue }
            let lines: [AdmissionTicket.Session] = (seats[t.applicationID] ?? []).compactMap { seat in
                guard let s = sessions[seat.sessionID], let room = rooms[seat.roomID] else { return nil }
                let site = body?.sites.first { $0.code == s.siteCode }
                return .init(part: "\(s.modeValue.part.nameZH)（\(s.modeValue.nameZH)）", date: s.heldOn, time: s.slot.timeText,
                             venue: site.map { "\($0.name) \($0.address)" } ?? s.siteCode, room: room.name, seat: String(seat.seat))
            }
            var photo: AdmissionTicket.Photo?
            if let key = profile.photoKey, let data = try await req.application.fileStore.get(key) {
                photo = .init(data: data, isJPEG: profile.photoMediaType == "image/jpeg")
            }
            let p = try plan.plan()
            result.append(AdmissionTicket(ticketNumber: t.number, bodyName: body?.name ?? "", planTitle: p.title,
                                          occupationLevel: "\(p.occupationName) \(Level(application.level).fullName)",
                                          candidateName: profile.fullName, maskedID: profile.idNumberMasked ?? "", employer: application.employer,
                                          photo: photo, sessions: lines.sorted { ($0.date, $0.time) < ($1.date, $1.time) }, rules: rules,
                                          issuedOn: req.time.now().chinaLocalDate.description))
        }
        return result
    }

    static func pdfResponse(_ data: Data, filename: String, inline: Bool = true) -> Response {
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "pdf")
        response.headers.contentDisposition = .init(inline ? .inline : .attachment, filename: filename)
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    @Sendable static func ticketsPDF(req: Request) async throws -> Response {
        let s = try await session(req)
        let seats = try await SeatAssignment.query(on: req.db).filter(\.$sessionID == s.requireID()).all()
        guard !seats.isEmpty else { throw DomainError.conflict(code: "no_seats", zh: "尚未编排座位", en: "no seats yet") }
        let tickets = try await tickets(applicationIDs: seats.map(\.applicationID), req: req)
        guard !tickets.isEmpty else { throw DomainError.conflict(code: "no_tickets", zh: "尚未生成准考证", en: "no tickets yet") }
        let data = try TicketPDF.render(tickets)
        _ = try await AuditLog.transaction(on: req.db, actor: try req.requireUser().actor, time: req.time) { audit in
            try await audit.record(AuditEvent(action: "session.tickets", targetType: "session", targetID: s.id?.uuidString,
                                              details: "\(tickets.count) ticket(s) printed"))
        }
        return pdfResponse(data, filename: "tickets-\(s.heldOn).pdf")
    }

    /// The candidate's tickets, once seats are allocated.
    @Sendable static func myTickets(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let records = try await AdmissionTicketRecord.query(on: req.db).filter(\.$candidateID == user.id).all()
        let plans = Dictionary(try await StoredPlan.query(on: req.db).filter(\.$id ~~ records.map(\.planID)).all().map { ($0.id!, $0.title) },
                               uniquingKeysWith: { a, _ in a })
        let rows = records.map { "<tr><td>\(esc(plans[$0.planID] ?? ""))</td><td class=\"mono\">\(esc($0.number))</td><td><a class=\"button\" href=\"/me/tickets/\($0.number)\" id=\"ticket-\($0.number)\">\(req.tr("下载准考证", "Download"))</a></td></tr>" }.joined()
        let content = """
            <table><thead><tr><th>\(req.tr("认定计划", "Plan"))</th><th>\(req.tr("准考证号", "Ticket"))</th><th></th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"3\" class=\"muted\">\(req.tr("考务部门编排座位后即可在此下载准考证", "Tickets appear here once seats are allocated"))</td></tr>" : rows)</tbody></table>
            """
        return Layout.page(req, title: req.tr("我的准考证", "My admission tickets"), content)
    }

    @Sendable static func myTicketPDF(req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let number = req.parameters.get("number"),
              let record = try await AdmissionTicketRecord.query(on: req.db).filter(\.$number == number).first(), record.candidateID == user.id else {
            throw DomainError.notFound(what: "ticket")
        }
        return pdfResponse(try TicketPDF.render(try await tickets(applicationIDs: [record.applicationID], req: req)), filename: "ticket-\(number).pdf")
    }

    /// The sign-in sheet: one line per seat with a space to sign, room by room.
    @Sendable static func signInSheet(req: Request) async throws -> Response {
        let s = try await session(req)
        let sheet = try await SessionDocuments.signInSheet(s, plan: try await PlanStore.find(s.planID, on: req.db), on: req.db)
        return pdfResponse(try SignInSheet.render(sheet), filename: "sign-in-\(s.heldOn).pdf")
    }

    struct SessionCandidate: Content {
        var ticketNumber: String
        var name: String
        var idNumber: String
        var room: String
        var seat: Int
    }

    /// `GET /api/v1/sessions/{id}/candidates`, with full ID numbers for exam affairs; the read is audited.
    @Sendable static func apiCandidates(req: Request) async throws -> [SessionCandidate] {
        let s = try await session(req)
        let sealer = try req.sealer()
        let seats = try await SeatAssignment.query(on: req.db).filter(\.$sessionID == s.requireID()).sort(\.$seat).all()
        let rooms = Dictionary(try await SessionStore.rooms(of: s, on: req.db).map { ($0.id!, $0.name) }, uniquingKeysWith: { a, _ in a })
        let profiles = Dictionary(try await CandidateProfile.query(on: req.db).filter(\.$userID ~~ seats.map(\.candidateID)).all().map { ($0.userID, $0) },
                                  uniquingKeysWith: { a, _ in a })
        let tickets = Dictionary(try await AdmissionTicketRecord.query(on: req.db).filter(\.$applicationID ~~ seats.map(\.applicationID)).all()
            .map { ($0.applicationID, $0.number) }, uniquingKeysWith: { a, _ in a })
        let result = try seats.map { seat -> SessionCandidate in
            let p = profiles[seat.candidateID]
            let id = try p?.idNumberCipher.map { String(decoding: try sealer.open($0, context: "candidate-id:\(seat.candidateID.uuidString)"), as: UTF8.self) } ?? ""
            return SessionCandidate(ticketNumber: tickets[seat.applicationID] ?? "", name: p?.fullName ?? "", idNumber: id,
                                    room: rooms[seat.roomID] ?? "", seat: seat.seat)
        }
        let count = result.count
        _ = try await AuditLog.transaction(on: req.db, actor: try req.requireUser().actor, time: req.time) { audit in
            try await audit.record(AuditEvent(action: "session.candidates-read", targetType: "session", targetID: s.id?.uuidString,
                                              details: "\(count) candidate(s) with full ID numbers"))
        }
        return result
    }
}
