import Fluent
import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// The examiner and supervisor registry (考评员与督导员名册), kept by the item & examiner department.
enum RegistryController {
    static let keepers: Set<Role> = [.administrator, .itemExaminer]
    static let readers: Set<Role> = [.administrator, .itemExaminer, .examAffairs, .leadership, .supervision, .coordination]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "registry", access: .anyOf(readers), use: list)
        r.endpoint(.POST, "registry", access: .anyOf(keepers), use: appoint)
        r.endpoint(.GET, "registry/:id", access: .anyOf(readers), use: detail)
        r.endpoint(.POST, "registry/:id/qualifications", access: .anyOf(keepers), use: addQualification)
        r.endpoint(.POST, "registry/:id/trainings", access: .anyOf(keepers), use: addTraining)
        r.endpoint(.POST, "registry/:id/status", access: .anyOf(keepers), use: status)
    }

    struct Filter {
        var q: String
        var kind: String
        var occupation: String
        var level: Int?
        var date: LocalDate?

        init(_ req: Request) {
            func opt(_ k: String) -> String { (req.query[String.self, at: k] ?? "").trimmingCharacters(in: .whitespaces) }
            q = opt("q")
            kind = opt("kind")
            occupation = opt("occupation")
            level = Int(opt("level"))
            date = LocalDate(iso: opt("date"))
        }
    }

    /// The registry with search and filters; with an occupation, level and date it lists only qualified, available people.
    @Sendable static func list(req: Request) async throws -> Response {
        try await renderList(req, errors: [])
    }

    static func renderList(_ req: Request, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let f = Filter(req)
        let today = req.time.now().chinaLocalDate
        var members = try await RegistryMember.query(on: req.db).sort(\.$fullName).all()
        if !f.q.isEmpty { members = members.filter { $0.fullName.contains(f.q) || $0.employer.contains(f.q) } }
        if !f.kind.isEmpty { members = members.filter { $0.kind == f.kind } }
        let quals = Dictionary(grouping: try await RegistryQualification.query(on: req.db).all(), by: \.memberID)
        var note = ""
        if !f.occupation.isEmpty, let level = f.level, let date = f.date {
            let qualified = try await RegistryStore.qualified(for: .examiner, occupation: f.occupation, level: level,
                                                              slot: TimeSlot(date: date, startMinute: 0, minutes: 24 * 60 - 1), on: req.db)
            let ids = Set(qualified.map(\.id))
            members = members.filter { ids.contains($0.id) }
            note = "<p class=\"muted\" id=\"qualified-note\">\(req.tr("只显示 \(date) 有资格考评 \(esc(f.occupation)) \(Level(level).shortName) 且当天未安排其他场次的考评员", "Only examiners qualified and free on that day"))</p>"
        }
        let rows = members.map { m -> String in
            let q = (quals[m.id!] ?? []).map { q -> String in "\(q.occupationCode) ≤\(Level(q.maxLevel).shortName)（至 \(q.validTo)）" }.joined(separator: "；")
            return "<tr><td><a href=\"/registry/\(m.id!.uuidString)\">\(esc(m.fullName))</a></td><td>\(m.kindValue.nameZH)</td><td>\(esc(m.employer))</td><td>\(esc(q))</td><td>\(esc(m.termEndsOn))</td><td>\(esc(RegistryStore.displayStatus(m, qualifications: quals[m.id!] ?? [], today: today)))</td></tr>"
        }.joined()
        let canEdit = !(try req.requireUser().roles.isDisjoint(with: keepers))
        let kinds = [("", req.tr("全部", "All"))] + RegistryMember.Kind.allCases.map { ($0.rawValue, $0.nameZH) }
        let appointForm = canEdit ? """
            <h2>\(req.tr("聘任", "Appoint"))</h2>
            <form method="post" action="/registry">\(H.csrf(req))
            \(H.field(req.tr("登录账号", "Account"), name: "username", required: true, errors: errors, req: req, hint: req.tr("先在“用户与角色”中为其创建账号", "create the account first")))
            \(H.select(req.tr("类别", "Kind"), name: "kind", options: RegistryMember.Kind.allCases.map { ($0.rawValue, $0.nameZH) }, selected: "examiner", errors: errors, req: req))
            \(H.field(req.tr("姓名", "Name"), name: "fullName", required: true, errors: errors, req: req))
            \(H.field(req.tr("工作单位", "Employer"), name: "employer", required: true, errors: errors, req: req))
            \(H.field(req.tr("聘任日期", "Appointed on"), name: "appointedOn", value: today.description, type: "date", required: true, errors: errors, req: req))
            <div class="actions"><button type="submit" id="appoint">\(req.tr("聘任", "Appoint"))</button></div></form>
            """ : ""
        let content = """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <form class="filters" method="get" action="/registry">
            \(H.field(req.tr("姓名或单位", "Name or employer"), name: "q", value: f.q, req: req))
            \(H.select(req.tr("类别", "Kind"), name: "kind", options: kinds, selected: f.kind, req: req))
            \(H.field(req.tr("职业编码", "Occupation"), name: "occupation", value: f.occupation, req: req))
            \(H.select(req.tr("等级", "Level"), name: "level", options: [("", "")] + (1...5).reversed().map { (String($0), Level($0).shortName) }, selected: f.level.map(String.init) ?? "", req: req))
            \(H.field(req.tr("日期", "On"), name: "date", value: f.date?.description ?? "", type: "date", req: req))
            <button type="submit">\(req.tr("查找", "Search"))</button></form>
            \(note)
            <table><thead><tr><th>\(req.tr("姓名", "Name"))</th><th>\(req.tr("类别", "Kind"))</th><th>\(req.tr("工作单位", "Employer"))</th><th>\(req.tr("考评资格", "Qualifications"))</th><th>\(req.tr("聘期至", "Term ends"))</th><th>\(req.tr("状态", "Status"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"6\" class=\"muted\">\(req.tr("没有符合条件的人员", "Nobody matches"))</td></tr>" : rows)</tbody></table>
            \(appointForm)
            """
        let response = Layout.page(req, title: req.tr("考评员与督导员名册", "Examiner and supervisor registry"), active: "/registry", content)
        response.status = status
        return response
    }

    struct AppointForm: Content {
        var username: String?
        var kind: String?
        var fullName: String?
        var employer: String?
        var appointedOn: String?
    }

    @Sendable static func appoint(req: Request) async throws -> Response {
        let f = try req.content.decode(AppointForm.self)
        do {
            let m = try await RegistryStore.appoint(.init(username: f.username ?? "", kind: RegistryMember.Kind(rawValue: f.kind ?? "") ?? .examiner,
                                                          fullName: f.fullName ?? "", employer: f.employer ?? "", appointedOn: f.appointedOn ?? ""),
                                                    actor: try req.requireUser().actor, on: req.db, time: req.time)
            return req.redirect(to: "/registry/\(m.id!.uuidString)?done=\(req.tr("已聘任", "Appointed").urlQueryEncoded)")
        } catch let failure as ValidationFailure {
            return try await renderList(req, errors: failure.errors, status: .unprocessableEntity)
        }
    }

    static func member(_ req: Request) async throws -> RegistryMember {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)), let m = try await RegistryMember.find(id, on: req.db) else {
            throw DomainError.notFound(what: "registry member")
        }
        return m
    }

    /// One person: qualifications, trainings, declared relations, status and every session served in.
    @Sendable static func detail(req: Request) async throws -> Response {
        let m = try await member(req)
        let id = m.id!.uuidString
        let quals = try await RegistryQualification.query(on: req.db).filter(\.$memberID == m.id!).all()
        let trainings = try await RegistryTraining.query(on: req.db).filter(\.$memberID == m.id!).sort(\.$heldOn, .descending).all()
        let relations = try await RelationStore.declared(by: m.userID, on: req.db)
        let served = try await StaffAssignment.query(on: req.db).filter(\.$userID == m.userID).all()
        let sessions = Dictionary(try await ExamSession.query(on: req.db).filter(\.$id ~~ served.map(\.sessionID)).all().map { ($0.id!, $0) },
                                  uniquingKeysWith: { a, _ in a })
        let canEdit = !(try req.requireUser().roles.isDisjoint(with: keepers))
        let today = req.time.now().chinaLocalDate
        let qRows = quals.map { "<tr><td>\(esc($0.occupationCode))</td><td>\(Level($0.maxLevel).fullName)</td><td>\(esc($0.certificateNumber))</td><td>\(esc($0.validFrom))～\(esc($0.validTo))</td></tr>" }.joined()
        let tRows = trainings.map { "<tr><td>\(esc($0.course))</td><td>\(esc($0.heldOn))</td><td>\($0.hours)</td><td>\(esc($0.result))</td></tr>" }.joined()
        let rRows = relations.map { "<li>\(esc($0.kindValue.nameZH))：\(esc($0.idNumberMasked ?? $0.employer ?? ""))\($0.note.isEmpty ? "" : "（\(esc($0.note))）")</li>" }.joined()
        let sRows = served.compactMap { a -> String? in
            guard let s = sessions[a.sessionID] else { return nil }
            return "<tr><td><a href=\"/sessions/\(s.id!.uuidString)\">\(esc(s.heldOn)) \(s.slot.timeText)</a></td><td>\(s.modeValue.nameZH) \(Level(s.level).shortName)</td><td>\(a.roleValue.nameZH)</td></tr>"
        }.joined()
        let levels = (1...5).reversed().map { (String($0), Level($0).fullName) }
        let forms = canEdit ? """
            <h3>\(req.tr("添加考评资格", "Add a qualification"))</h3>
            <form method="post" action="/registry/\(id)/qualifications" class="filters">\(H.csrf(req))
            \(H.field(req.tr("职业编码", "Occupation"), name: "occupationCode", value: "6-31-01-03", required: true, req: req))
            \(H.select(req.tr("最高可考评等级", "Highest level"), name: "maxLevel", options: levels, selected: "3", req: req))
            \(H.field(req.tr("证书编号", "Certificate"), name: "certificateNumber", required: true, req: req))
            \(H.field(req.tr("有效期自", "Valid from"), name: "validFrom", type: "date", required: true, req: req))
            \(H.field(req.tr("有效期至", "Valid to"), name: "validTo", type: "date", required: true, req: req))
            <button type="submit" id="add-qualification">\(req.tr("添加", "Add"))</button></form>
            <h3>\(req.tr("添加培训记录", "Add a training"))</h3>
            <form method="post" action="/registry/\(id)/trainings" class="filters">\(H.csrf(req))
            \(H.field(req.tr("课程", "Course"), name: "course", required: true, req: req))
            \(H.field(req.tr("日期", "Date"), name: "heldOn", type: "date", required: true, req: req))
            \(H.field(req.tr("学时", "Hours"), name: "hours", type: "number", required: true, req: req))
            \(H.field(req.tr("结果", "Result"), name: "result", value: "合格", required: true, req: req))
            <button type="submit">\(req.tr("添加", "Add"))</button></form>
            <h3>\(req.tr("状态", "Status"))</h3>
            <form method="post" action="/registry/\(id)/status" class="filters" data-confirm="\(req.tr("确定更改状态？", "Change the status?"))">\(H.csrf(req))
            \(H.select(req.tr("状态", "Status"), name: "status", options: RegistryMember.Status.allCases.map { ($0.rawValue, $0.nameZH) }, selected: m.status, req: req))
            \(H.field(req.tr("原因", "Reason"), name: "reason", required: true, req: req))
            <button type="submit" class="secondary">\(req.tr("更改", "Change"))</button></form>
            """ : ""
        let content = """
            \(H.notice(req))
            <p>\(m.kindValue.nameZH) · \(esc(m.employer)) · \(req.tr("聘期", "Term")) \(esc(m.appointedOn))～\(esc(m.termEndsOn)) · \(esc(RegistryStore.displayStatus(m, qualifications: quals, today: today)))</p>
            <h2>\(req.tr("考评资格", "Qualifications"))</h2>
            <table><thead><tr><th>\(req.tr("职业", "Occupation"))</th><th>\(req.tr("最高等级", "Up to"))</th><th>\(req.tr("证书编号", "Certificate"))</th><th>\(req.tr("有效期", "Valid"))</th></tr></thead><tbody>\(qRows)</tbody></table>
            <h2>\(req.tr("培训记录", "Trainings"))</h2>
            <table><thead><tr><th>\(req.tr("课程", "Course"))</th><th>\(req.tr("日期", "Date"))</th><th>\(req.tr("学时", "Hours"))</th><th>\(req.tr("结果", "Result"))</th></tr></thead><tbody>\(tRows)</tbody></table>
            <h2>\(req.tr("申报的回避关系", "Declared relations"))</h2><ul>\(rRows.isEmpty ? "<li class=\"muted\">\(req.tr("无", "None"))</li>" : rRows)</ul>
            <h2>\(req.tr("参与场次", "Sessions served"))</h2>
            <table><thead><tr><th>\(req.tr("时间", "When"))</th><th>\(req.tr("场次", "Session"))</th><th>\(req.tr("职责", "Role"))</th></tr></thead><tbody>\(sRows)</tbody></table>
            \(forms)
            """
        return Layout.page(req, title: m.fullName, active: "/registry", content)
    }

    struct QualificationForm: Content {
        var occupationCode: String?
        var maxLevel: String?
        var certificateNumber: String?
        var validFrom: String?
        var validTo: String?
    }

    @Sendable static func addQualification(req: Request) async throws -> Response {
        let m = try await member(req)
        let f = try req.content.decode(QualificationForm.self)
        try await RegistryStore.addQualification(memberID: m.requireID(), occupationCode: f.occupationCode ?? "", maxLevel: Int(f.maxLevel ?? "") ?? 99,
                                                 certificateNumber: f.certificateNumber ?? "", validFrom: f.validFrom ?? "", validTo: f.validTo ?? "",
                                                 actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/registry/\(m.id!.uuidString)?done=\(req.tr("已添加", "Added").urlQueryEncoded)")
    }

    struct TrainingForm: Content {
        var course: String?
        var heldOn: String?
        var hours: String?
        var result: String?
    }

    @Sendable static func addTraining(req: Request) async throws -> Response {
        let m = try await member(req)
        let f = try req.content.decode(TrainingForm.self)
        try await RegistryStore.addTraining(memberID: m.requireID(), course: f.course ?? "", heldOn: f.heldOn ?? "", hours: Int(f.hours ?? "") ?? 0,
                                            result: f.result ?? "", actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/registry/\(m.id!.uuidString)?done=\(req.tr("已添加", "Added").urlQueryEncoded)")
    }

    @Sendable static func status(req: Request) async throws -> Response {
        let m = try await member(req)
        guard let status = RegistryMember.Status(rawValue: (try? req.content.get(String.self, at: "status")) ?? "") else {
            throw WebError.badField("status", zh: "状态无效", en: "unknown status")
        }
        try await RegistryStore.setStatus(memberID: m.requireID(), status, reason: (try? req.content.get(String.self, at: "reason")) ?? "",
                                          actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/registry/\(m.id!.uuidString)?done=\(req.tr("已更改", "Changed").urlQueryEncoded)")
    }
}
