import Fluent
import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// Certification plans: drafted by coordination, approved by leadership, published as public announcements,
/// and changed after publication only through dated amendment notices.
enum PlansController {
    static let drafters: Set<Role> = [.administrator, .coordination]
    static let approvers: Set<Role> = [.leadership]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "plans", access: .anyOf(Roles.staff), use: list)
        r.endpoint(.GET, "plans/new", access: .anyOf(drafters), use: newForm)
        r.endpoint(.POST, "plans", access: .anyOf(drafters), use: create)
        r.endpoint(.GET, "plans/:id", access: .anyOf(Roles.staff), use: show)
        r.endpoint(.GET, "plans/:id/edit", access: .anyOf(drafters), use: editForm)
        r.endpoint(.POST, "plans/:id", access: .anyOf(drafters), use: update)
        r.endpoint(.POST, "plans/:id/action", access: .anyOf(drafters.union(approvers)), use: action)
        r.endpoint(.GET, "announcements", access: .everyone, use: announcements)
        r.endpoint(.GET, "announcements.atom", access: .everyone, use: atom)
        r.endpoint(.GET, "announcements/:number", access: .everyone, use: announcement)
        r.endpoint(.GET, "api/v1/public/plans", access: .everyone,
                   api: APIDoc("Published certification plans (public announcements)", tag: "plans", response: "PlanList"),
                   use: apiPublished)
    }

    struct PlanForm: Content {
        var title: String?
        var standardID: String?
        var levels: [String]?
        var workType: String?
        var registrationOpens: String?
        var registrationCloses: String?
        var theoryDate: String?
        var skillsDate: String?
        var reviewDate: String?
        var venues: String?
        var feeYuan: String?
        var capacity: String?
        var materials: String?
        /// Materials per level, keyed by level number; `materials` is the fallback for levels left empty.
        var materialsByLevel: [String: String]?
        var notes: String?
        var summary: String?
    }

    /// The plan a form describes, with field errors for values that do not parse.
    static func plan(from f: PlanForm, on db: any Database) async throws -> CertificationPlan {
        var errors: [FieldError] = []
        func date(_ s: String?, _ field: String, _ label: String, required: Bool = true) -> LocalDate? {
            guard let s, !s.isEmpty else {
                if required { errors.append(.required(field, label: label)) }
                return nil
            }
            guard let d = LocalDate(iso: s) else {
                errors.append(FieldError(code: "invalid_date", field: field, zh: "“\(label)”不是有效日期", en: "\(field) is not a valid date"))
                return nil
            }
            return d
        }
        let opens = date(f.registrationOpens, "registrationOpens", "报名开始日期")
        let closes = date(f.registrationCloses, "registrationCloses", "报名截止日期")
        var exams: [CertificationPlan.ExamDate] = []
        for (part, text, field) in [(AssessmentPartKind.theory, f.theoryDate, "theoryDate"), (.skills, f.skillsDate, "skillsDate"),
                                    (.comprehensiveReview, f.reviewDate, "reviewDate")] {
            if let d = date(text, field, part.nameZH + "日期", required: false) { exams.append(.init(part: part, date: d)) }
        }
        let fee = Int((f.feeYuan ?? "0").trimmingCharacters(in: .whitespaces).isEmpty ? "0" : (f.feeYuan ?? "0"))
        if fee == nil { errors.append(FieldError(code: "invalid_number", field: "feeYuan", zh: "收费应为整数（元）", en: "fee must be a whole number")) }
        let capacity = Int(f.capacity ?? "")
        if capacity == nil { errors.append(FieldError(code: "invalid_number", field: "capacity", zh: "计划人数应为整数", en: "capacity must be a whole number")) }
        let levels = (f.levels ?? []).compactMap { Int($0) }
        let standardName: String
        if let id = f.standardID.flatMap(UUID.init(uuidString:)), let row = try await StoredStandard.find(id, on: db) {
            standardName = row.occupationName
        } else {
            standardName = ""
        }
        let materials: [CertificationPlan.Materials] = levels.sorted(by: >).compactMap { level in
            let own = H.lines(f.materialsByLevel?[String(level)])
            let items = own.isEmpty ? H.lines(f.materials) : own
            return items.isEmpty ? nil : .init(level: level, items: items)
        }
        guard errors.isEmpty, let opens, let closes, let fee, let capacity else { throw ValidationFailure(errors) }
        return CertificationPlan(title: f.title ?? "", standardID: f.standardID ?? "", occupationName: standardName, levels: levels,
                                 workType: (f.workType ?? "").isEmpty ? nil : f.workType, registrationOpens: opens,
                                 registrationCloses: closes, examDates: exams, venues: H.lines(f.venues), feeYuan: fee,
                                 capacity: capacity, materials: materials, notes: f.notes ?? "")
    }

    static func form(from p: CertificationPlan) -> PlanForm {
        PlanForm(title: p.title, standardID: p.standardID, levels: p.levels.map(String.init), workType: p.workType,
                 registrationOpens: p.registrationOpens.description, registrationCloses: p.registrationCloses.description,
                 theoryDate: p.examDates.first { $0.part == .theory }?.date.description,
                 skillsDate: p.examDates.first { $0.part == .skills }?.date.description,
                 reviewDate: p.examDates.first { $0.part == .comprehensiveReview }?.date.description,
                 venues: p.venues.joined(separator: "\n"), feeYuan: String(p.feeYuan), capacity: String(p.capacity),
                 materials: nil,
                 materialsByLevel: Dictionary(p.materials.map { (String($0.level), $0.items.joined(separator: "\n")) },
                                              uniquingKeysWith: { a, _ in a }),
                 notes: p.notes)
    }

    static func statusBadge(_ s: PlanStatus, _ req: Request) -> String {
        "<span class=\"badge \(s == .published ? "ok" : "")\">\(req.tr(s.nameZH, s.nameEN))</span>"
    }

    /// All plans for staff.
    @Sendable static func list(req: Request) async throws -> Response {
        let plans = try await StoredPlan.query(on: req.db).sort(\.$number, .descending).all()
        let rows = try plans.map { row -> String in
            let p = try row.plan()
            return "<tr><td><a href=\"/plans/\(row.id!.uuidString)\">\(esc(row.number))</a></td><td>\(esc(p.title))</td><td>\(esc(p.occupationName)) \(p.levels.map { Level($0).shortName }.joined(separator: "、"))</td><td>\(p.registrationOpens)～\(p.registrationCloses)</td><td>\(statusBadge(row.statusValue, req))</td></tr>"
        }.joined()
        let canDraft = !(req.signedIn?.roles ?? []).isDisjoint(with: drafters)
        let content = """
            \(H.notice(req))
            <div class="actions">\(canDraft ? "<a class=\"button\" href=\"/plans/new\" id=\"new-plan\">\(req.tr("新建认定计划", "New plan"))</a>" : "") <a class="button secondary" href="/announcements">\(req.tr("查看公开公告", "Public announcements"))</a></div>
            <table><thead><tr><th>\(req.tr("编号", "Number"))</th><th>\(req.tr("计划名称", "Title"))</th><th>\(req.tr("职业与等级", "Occupation and levels"))</th><th>\(req.tr("报名时间", "Registration"))</th><th>\(req.tr("状态", "Status"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">\(req.tr("尚无认定计划", "No plans yet"))</td></tr>" : rows)</tbody></table>
            """
        return Layout.page(req, title: req.tr("认定计划", "Certification plans"), active: "/plans", content)
    }

    @Sendable static func newForm(req: Request) async throws -> Response {
        try await renderForm(req, form: PlanForm(levels: ["4"], feeYuan: "0", capacity: "100"), action: "/plans", errors: [])
    }

    static func renderForm(_ req: Request, form f: PlanForm, action: String, errors: [FieldError], amend: Bool = false,
                           status: HTTPResponseStatus = .ok) async throws -> Response {
        let standards = try await StandardStore.list(status: .inUse, on: req.db)
        let options = standards.map { ($0.id!.uuidString, "\($0.occupationCode) \($0.occupationName)（\($0.edition) 版）") }
        let levelBoxes = (1...5).reversed().map { l in
            "<label class=\"badge\"><input type=\"checkbox\" name=\"levels[]\" value=\"\(l)\"\((f.levels ?? []).contains(String(l)) ? " checked" : "")> \(Level(l).fullName)</label>"
        }.joined(separator: " ")
        let content = """
            \(H.errorSummary(errors, req: req))
            <form method="post" action="\(action)">\(H.csrf(req))
            \(H.field(req.tr("计划名称", "Title"), name: "title", value: f.title ?? "", required: true, errors: errors, req: req))
            \(H.select(req.tr("职业技能标准", "Standard"), name: "standardID", options: options, selected: f.standardID ?? "", errors: errors, req: req))
            <fieldset class="field"><legend>\(req.tr("认定等级", "Levels"))</legend>\(levelBoxes)\(errors.filter { $0.field == "levels" }.map { "<p class=\"field-error\">\(esc(req.message($0)))</p>" }.joined())</fieldset>
            \(H.field(req.tr("工种（无则留空）", "Work type (blank if none)"), name: "workType", value: f.workType ?? "", errors: errors, req: req))
            <div class="filters">\(H.field(req.tr("报名开始", "Registration opens"), name: "registrationOpens", value: f.registrationOpens ?? "", type: "date", required: true, errors: errors, req: req))
            \(H.field(req.tr("报名截止", "Registration closes"), name: "registrationCloses", value: f.registrationCloses ?? "", type: "date", required: true, errors: errors, req: req))</div>
            <div class="filters">\(H.field(req.tr("理论知识考试日期", "Theory exam"), name: "theoryDate", value: f.theoryDate ?? "", type: "date", errors: errors, req: req))
            \(H.field(req.tr("操作技能考核日期", "Skills assessment"), name: "skillsDate", value: f.skillsDate ?? "", type: "date", errors: errors, req: req))
            \(H.field(req.tr("综合评审日期", "Comprehensive review"), name: "reviewDate", value: f.reviewDate ?? "", type: "date", errors: errors, req: req))</div>
            <div class="field"><label for="f-venues">\(req.tr("考点（每行一个）", "Venues (one per line)"))</label><textarea id="f-venues" name="venues" rows="2" cols="80">\(esc(f.venues ?? ""))</textarea>\(errors.filter { $0.field == "venues" }.map { "<p class=\"field-error\">\(esc(req.message($0)))</p>" }.joined())</div>
            <div class="filters">\(H.field(req.tr("收费（元/人，0 为免费）", "Fee (yuan)"), name: "feeYuan", value: f.feeYuan ?? "0", type: "number", errors: errors, req: req))
            \(H.field(req.tr("计划人数", "Capacity"), name: "capacity", value: f.capacity ?? "", type: "number", errors: errors, req: req))</div>
            <div class="field"><label for="f-materials">\(req.tr("申报材料：各等级通用（每行一项）", "Required materials for every level (one per line)"))</label><textarea id="f-materials" name="materials" rows="3" cols="80">\(esc(f.materials ?? ""))</textarea></div>
            <details\((f.materialsByLevel ?? [:]).isEmpty ? "" : " open")><summary>\(req.tr("按等级分别填写申报材料（填写后该等级不再使用通用要求）", "Materials per level (overrides the common list)"))</summary>
            \((1...5).reversed().map { l in "<div class=\"field\"><label for=\"f-m\(l)\">\(Level(l).fullName)</label><textarea id=\"f-m\(l)\" name=\"materialsByLevel[\(l)]\" rows=\"2\" cols=\"80\">\(esc(f.materialsByLevel?[String(l)] ?? ""))</textarea></div>" }.joined())</details>
            <div class="field"><label for="f-notes">\(req.tr("其他说明", "Notes"))</label><textarea id="f-notes" name="notes" rows="3" cols="80">\(esc(f.notes ?? ""))</textarea></div>
            \(amend ? H.field(req.tr("变更说明（将作为变更公告公开发布）", "What changed (published as a dated notice)"), name: "summary", value: f.summary ?? "", required: true, errors: errors, req: req) : "")
            <div class="actions"><button type="submit" id="save-plan">\(amend ? req.tr("发布变更公告", "Publish the amendment") : req.tr("保存", "Save"))</button></div></form>
            """
        let response = Layout.page(req, title: amend ? req.tr("变更已发布的计划", "Amend a published plan") : req.tr("认定计划", "Plan"),
                                   active: "/plans", content)
        response.status = status
        return response
    }

    static func planID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "plan") }
        return id
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let f = try req.content.decode(PlanForm.self)
        do {
            let row = try await PlanStore.create(try await plan(from: f, on: req.db), actor: try req.requireUser().actor,
                                                 on: req.db, time: req.time)
            return req.redirect(to: "/plans/\(row.id!.uuidString)?done=\(req.tr("已保存草稿", "Draft saved").urlQueryEncoded)")
        } catch let failure as ValidationFailure {
            return try await renderForm(req, form: f, action: "/plans", errors: failure.errors, status: .unprocessableEntity)
        }
    }

    @Sendable static func editForm(req: Request) async throws -> Response {
        let row = try await PlanStore.find(try planID(req), on: req.db)
        return try await renderForm(req, form: form(from: try row.plan()), action: "/plans/\(row.id!.uuidString)", errors: [],
                                    amend: row.statusValue == .published)
    }

    /// Saves an unpublished plan, or publishes an amendment to a published one.
    @Sendable static func update(req: Request) async throws -> Response {
        let id = try planID(req)
        let f = try req.content.decode(PlanForm.self)
        let row = try await PlanStore.find(id, on: req.db)
        let amend = row.statusValue == .published
        do {
            let p = try await plan(from: f, on: req.db)
            if amend {
                try await PlanStore.amend(id: id, plan: p, summary: f.summary ?? "", actor: try req.requireUser().actor, on: req.db, time: req.time)
            } else {
                try await PlanStore.update(id: id, plan: p, actor: try req.requireUser().actor, on: req.db, time: req.time)
            }
        } catch let failure as ValidationFailure {
            return try await renderForm(req, form: f, action: "/plans/\(id.uuidString)", errors: failure.errors, amend: amend,
                                        status: .unprocessableEntity)
        }
        return req.redirect(to: "/plans/\(id.uuidString)?done=\((amend ? req.tr("已发布变更公告", "Amendment published") : req.tr("已保存", "Saved")).urlQueryEncoded)")
    }

    /// A plan with its workflow actions and amendments.
    @Sendable static func show(req: Request) async throws -> Response {
        let row = try await PlanStore.find(try planID(req), on: req.db)
        let p = try row.plan()
        let id = row.id!.uuidString
        let roles = req.signedIn?.roles ?? []
        var actions = ""
        func button(_ action: PlanStore.Action, _ label: String, reason: Bool = false) -> String {
            "<form method=\"post\" action=\"/plans/\(id)/action\" class=\"inline\">\(H.csrf(req))<input type=\"hidden\" name=\"action\" value=\"\(action.rawValue)\">\(reason ? "<input name=\"reason\" placeholder=\"\(req.tr("退回原因", "reason"))\" required style=\"min-width:10rem\"> " : "")<button type=\"submit\" id=\"plan-\(action.rawValue)\"\(reason ? " class=\"secondary\"" : "")>\(esc(label))</button></form> "
        }
        let drafter = !roles.isDisjoint(with: drafters)
        switch row.statusValue {
        case .draft where drafter:
            actions = "<a class=\"button secondary\" href=\"/plans/\(id)/edit\">\(req.tr("修改", "Edit"))</a> " + button(.submit, req.tr("提交审批", "Submit for approval"))
        case .submitted where roles.contains(.leadership):
            actions = button(.approve, req.tr("审批通过", "Approve")) + button(.reject, req.tr("退回", "Send back"), reason: true)
        case .approved where drafter:
            actions = button(.publish, req.tr("发布公告", "Publish")) + "<a class=\"button secondary\" href=\"/plans/\(id)/edit\">\(req.tr("修改（需重新审批）", "Edit (re-approval)"))</a>"
        case .published where drafter:
            actions = "<a class=\"button secondary\" href=\"/plans/\(id)/edit\" id=\"amend\">\(req.tr("发布变更公告", "Amend"))</a> " + button(.close, req.tr("结束", "Close"))
        default: break
        }
        if row.statusValue == .published, !(try req.requireUser()).roles.isDisjoint(with: RegistrationsController.importers) {
            actions += " <a class=\"button secondary\" href=\"/plans/\(id)/registrations\" id=\"batch\">\(req.tr("集体报名", "Batch registration"))</a>"
                + " <a class=\"button secondary\" href=\"/review?plan=\(id)&status=all\">\(req.tr("报名与审核", "Applications"))</a>"
        }
        if row.statusValue != .draft, !(try req.requireUser()).roles.isDisjoint(with: ResultsController.resultReaders) {
            actions += " <a class=\"button secondary\" href=\"/plans/\(id)/results\" id=\"results\">\(req.tr("认定成绩", "Results"))</a>"
        }
        if row.statusValue != .draft, !(try req.requireUser()).roles.isDisjoint(with: QualityController.reportReaders) {
            actions += " <a class=\"button secondary\" href=\"/plans/\(id)/report\" id=\"batch-report\">\(req.tr("总结评估", "Batch report"))</a>"
        }
        let content = """
            \(H.notice(req))
            <p>\(req.tr("编号", "Number")) <strong>\(esc(row.number))</strong> · \(statusBadge(row.statusValue, req))\(row.publishedAt.map { " · \(req.tr("发布于", "published")) \(H.time($0))" } ?? "")</p>
            \(details(p, req))
            <div class="actions">\(actions)</div>
            \(try await amendmentList(row, req))
            """
        return Layout.page(req, title: p.title, active: "/plans", content)
    }

    static func details(_ p: CertificationPlan, _ req: Request) -> String {
        let exams = p.examDates.map { "\(req.tr($0.part.nameZH, $0.part.nameEN))：\($0.date)" }.joined(separator: "；")
        return """
            <table><tbody>
            <tr><th>\(req.tr("职业", "Occupation"))</th><td>\(esc(p.occupationName))（\(req.tr("工种", "work type"))：\(esc(p.workType ?? "--"))）</td></tr>
            <tr><th>\(req.tr("等级", "Levels"))</th><td>\(p.levels.sorted(by: >).map { Level($0).fullName }.joined(separator: "、"))</td></tr>
            <tr><th>\(req.tr("报名时间", "Registration"))</th><td>\(p.registrationOpens) ～ \(p.registrationCloses)</td></tr>
            <tr><th>\(req.tr("考试日期", "Exam dates"))</th><td>\(esc(exams))</td></tr>
            <tr><th>\(req.tr("考点", "Venues"))</th><td>\(esc(p.venues.joined(separator: "；")))</td></tr>
            <tr><th>\(req.tr("收费", "Fee"))</th><td>\(p.feeYuan == 0 ? req.tr("免费", "free") : "\(p.feeYuan) \(req.tr("元/人", "yuan"))")</td></tr>
            <tr><th>\(req.tr("计划人数", "Capacity"))</th><td>\(p.capacity)</td></tr>
            <tr><th>\(req.tr("申报材料", "Materials"))</th><td>\(p.materials.isEmpty ? "—" : p.materials.map { "\(Level($0.level).shortName)：\(esc($0.items.joined(separator: "；")))" }.joined(separator: "<br>"))</td></tr>
            <tr><th>\(req.tr("其他说明", "Notes"))</th><td>\(esc(p.notes))</td></tr>
            </tbody></table>
            """
    }

    static func amendmentList(_ row: StoredPlan, _ req: Request) async throws -> String {
        let list = try await PlanStore.amendments(of: row.id!, on: req.db)
        guard !list.isEmpty else { return "" }
        return "<h2 id=\"amendments\">\(req.tr("变更公告", "Amendments"))</h2>" + list.map { a in
            "<div class=\"card\"><strong>\(H.time(a.publishedAt))</strong> \(esc(a.summary))<ul>\(a.changes.split(separator: "\n").map { "<li>\(esc(String($0)))</li>" }.joined())</ul></div>"
        }.joined()
    }

    @Sendable static func action(req: Request) async throws -> Response {
        let id = try planID(req)
        guard let action = PlanStore.Action(rawValue: (try? req.content.get(String.self, at: "action")) ?? "") else {
            throw WebError.badField("action", zh: "操作无效", en: "unknown action")
        }
        let roles = req.signedIn?.roles ?? []
        let allowed = [.approve, .reject].contains(action) ? !roles.isDisjoint(with: approvers) : !roles.isDisjoint(with: drafters)
        guard allowed else {
            throw WebError(.forbidden, code: "forbidden", zh: "您的角色不能执行此操作", en: "your roles do not allow this")
        }
        try await PlanStore.act(action, id: id, reason: try? req.content.get(String.self, at: "reason"),
                                actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/plans/\(id.uuidString)?done=\(req.tr("已完成", "Done").urlQueryEncoded)")
    }

    /// The public list of published plans.
    @Sendable static func announcements(req: Request) async throws -> Response {
        let plans = try await PlanStore.published(on: req.db)
        let body = try await BodyStore.load(on: req.db)
        let items = try plans.map { row -> String in
            let p = try row.plan()
            return "<li><a href=\"/announcements/\(esc(row.number))\">\(esc(p.title))</a> <span class=\"muted\">\(H.time(row.publishedAt)) · \(req.tr("报名", "registration")) \(p.registrationOpens)～\(p.registrationCloses)</span>\(row.statusValue == .closed ? " <span class=\"badge\">\(req.tr("已结束", "closed"))</span>" : "")</li>"
        }.joined()
        let content = """
            <p>\(esc(body?.name ?? ""))\(req.tr("发布的职业技能等级认定公告。", " — certification announcements.")) <a href="/announcements.atom">Atom</a></p>
            <ul class="announcements">\(items.isEmpty ? "<li class=\"muted\">\(req.tr("暂无公告", "No announcements"))</li>" : items)</ul>
            """
        return Layout.page(req, title: req.tr("认定公告", "Announcements"), content)
    }

    static func publishedPlan(_ req: Request) async throws -> StoredPlan {
        let number = req.parameters.get("number") ?? ""
        guard let row = try await StoredPlan.query(on: req.db).filter(\.$number == number).first(),
              [.published, .closed].contains(row.statusValue) else { throw DomainError.notFound(what: "announcement") }
        return row
    }

    /// One public announcement with its amendment notices.
    @Sendable static func announcement(req: Request) async throws -> Response {
        let row = try await publishedPlan(req)
        let p = try row.plan()
        let today = req.time.now().chinaLocalDate
        let open = row.statusValue == .published && today >= p.registrationOpens && today <= p.registrationCloses
        let content = """
            <p class="muted">\(req.tr("公告编号", "Number")) \(esc(row.number)) · \(req.tr("发布于", "published")) \(H.time(row.publishedAt))</p>
            \(open ? "<div class=\"actions\"><a class=\"button\" id=\"apply-link\" href=\"/announcements/\(esc(row.number))/apply\">\(req.tr("我要报名", "Apply"))</a> <span class=\"muted\">\(req.tr("需先注册并登录考生账号", "sign in with a candidate account"))</span></div>" : "")
            \(details(p, req))
            \(try await amendmentList(row, req))
            """
        return Layout.page(req, title: p.title, content)
    }

    /// The announcements as an Atom feed; an amended plan's entry shows its latest change.
    @Sendable static func atom(req: Request) async throws -> Response {
        let plans = try await PlanStore.published(on: req.db)
        let base = req.config.publicBaseURL
        let iso = ISO8601DateFormatter()
        var entries = ""
        var newest = Date(timeIntervalSince1970: 0)
        for row in plans {
            let p = try row.plan()
            let amendments = try await PlanStore.amendments(of: row.id!, on: req.db)
            let updated = amendments.last?.publishedAt ?? row.publishedAt ?? row.updatedAt
            newest = max(newest, updated)
            let summary = "报名 \(p.registrationOpens)～\(p.registrationCloses)；" + (amendments.last.map { "变更：\($0.summary)" } ?? "")
            entries += """
                <entry><id>\(esc(base))/announcements/\(esc(row.number))</id><title>\(esc(p.title))</title>
                <link href="\(esc(base))/announcements/\(esc(row.number))"/><published>\(iso.string(from: row.publishedAt ?? updated))</published>
                <updated>\(iso.string(from: updated))</updated><summary>\(esc(summary))</summary></entry>

                """
        }
        let body = try await BodyStore.load(on: req.db)
        let xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom"><id>\(esc(base))/announcements</id><title>\(esc(body?.name ?? "SkillCert")) 认定公告</title>
            <updated>\(iso.string(from: newest))</updated><link rel="self" href="\(esc(base))/announcements.atom"/>
            \(entries)</feed>
            """
        let response = Response(status: .ok, body: .init(string: xml))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "atom+xml", parameters: ["charset": "utf-8"])
        return response
    }

    struct PublicPlanDTO: Content {
        var number: String
        var title: String
        var occupation: String
        var levels: [Int]
        var registrationOpens: String
        var registrationCloses: String
        var feeYuan: Int
        var status: String
        var amendments: Int
    }

    @Sendable static func apiPublished(req: Request) async throws -> [PublicPlanDTO] {
        var out: [PublicPlanDTO] = []
        for row in try await PlanStore.published(on: req.db) {
            let p = try row.plan()
            out.append(PublicPlanDTO(number: row.number, title: p.title, occupation: p.occupationName, levels: p.levels,
                                     registrationOpens: p.registrationOpens.description, registrationCloses: p.registrationCloses.description,
                                     feeYuan: p.feeYuan, status: row.status,
                                     amendments: try await PlanStore.amendments(of: row.id!, on: req.db).count))
        }
        return out
    }
}
