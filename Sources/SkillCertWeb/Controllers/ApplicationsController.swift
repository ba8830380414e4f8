import Fluent
import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// Candidates apply to published plans; exam affairs review the explained engine verdicts.
enum ApplicationsController {
    static let reviewers: Set<Role> = [.administrator, .examAffairs]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "announcements/:number/apply", access: .anyOf([.candidate]), use: applyPage)
        r.endpoint(.POST, "announcements/:number/apply", access: .anyOf([.candidate]), use: applySubmit)
        r.endpoint(.GET, "me/applications", access: .anyOf([.candidate]), use: mine)
        r.endpoint(.GET, "review", access: .anyOf(reviewers), use: queue)
        r.endpoint(.GET, "review/:id", access: .anyOf(reviewers), use: detail)
        r.endpoint(.POST, "review/:id", access: .anyOf(reviewers), use: decide)
    }

    @Sendable static func applyPage(req: Request) async throws -> Response {
        let row = try await PlansController.publishedPlan(req)
        return try renderApply(req, plan: row, form: EligibilityController.CheckForm(level: nil), errors: [])
    }

    static func renderApply(_ req: Request, plan row: StoredPlan, form: EligibilityController.CheckForm, errors: [FieldError],
                            status: HTTPResponseStatus = .ok) throws -> Response {
        let p = try row.plan()
        let levels = p.levels.sorted(by: >).map { (String($0), Level($0).fullName) }
        let content = """
            \(H.errorSummary(errors, req: req))
            <p>\(esc(p.title)) · \(req.tr("报名时间", "registration")) \(p.registrationOpens)～\(p.registrationCloses)</p>
            <form method="post" action="/announcements/\(esc(row.number))/apply">\(H.csrf(req))
            \(H.select(req.tr("申报等级", "Level"), name: "level", options: levels, selected: form.level ?? levels.first?.0 ?? "", errors: errors, req: req))
            \(EligibilityController.fillInForm(req, form))
            <input type="hidden" name="mode" value="form">
            <div class="actions"><button type="submit" id="apply">\(req.tr("提交报名", "Apply"))</button></div></form>
            """
        let response = Layout.page(req, title: req.tr("报名", "Apply"), content)
        response.status = status
        return response
    }

    @Sendable static func applySubmit(req: Request) async throws -> Response {
        let row = try await PlansController.publishedPlan(req)
        let form = try req.content.decode(EligibilityController.CheckForm.self)
        do {
            guard let level = form.level.flatMap({ Int($0) }) else { throw ValidationFailure([.required("level", label: "申报等级")]) }
            _ = try await ApplicationStore.apply(planID: row.requireID(), level: level, profile: form.filledProfile,
                                                 candidate: try req.requireUser().actor, on: req.db, time: req.time)
        } catch let failure as ValidationFailure {
            return try renderApply(req, plan: row, form: form, errors: failure.errors, status: .unprocessableEntity)
        } catch let e as DomainError {
            guard case .conflict(let code, let zh, let en) = e else { throw e }
            return try renderApply(req, plan: row, form: form, errors: [FieldError(code: code, field: "level", zh: zh, en: en)],
                                   status: .conflict)
        }
        return req.redirect(to: "/me/applications?done=\(req.tr("报名已提交", "Application submitted").urlQueryEncoded)")
    }

    static func badge(_ s: StoredApplication.Status, _ req: Request) -> String {
        "<span class=\"badge \(s == .approved ? "ok" : s == .rejected ? "bad" : "")\">\(req.tr(s.nameZH, s.nameEN))</span>"
    }

    /// The candidate's applications with each decision and reason.
    @Sendable static func mine(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let apps = try await StoredApplication.query(on: req.db).filter(\.$candidateID == user.id).sort(\.$createdAt, .descending).all()
        var rows = ""
        for a in apps {
            let plan = try await StoredPlan.find(a.planID, on: req.db)
            rows += "<tr><td>\(esc(plan?.title ?? ""))</td><td>\(Level(a.level).fullName)</td><td>\(badge(a.statusValue, req))</td><td>\(esc(a.decisionReason ?? ""))\(a.moreDeadline.map { "（\(req.tr("截止", "by")) \(esc($0))）" } ?? "")</td><td><pre class=\"explanation\">\(esc(a.engineExplanation))</pre></td></tr>"
        }
        let content = """
            \(H.notice(req))
            <table><thead><tr><th>\(req.tr("认定计划", "Plan"))</th><th>\(req.tr("等级", "Level"))</th><th>\(req.tr("状态", "Status"))</th><th>\(req.tr("审核意见", "Reviewer's reason"))</th><th>\(req.tr("申报条件判定", "Eligibility"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">\(req.tr("尚未报名。请在“认定公告”中选择计划报名。", "No applications yet."))</td></tr>" : rows)</tbody></table>
            <p><a href="/announcements">\(req.tr("查看认定公告", "Announcements"))</a></p>
            """
        return Layout.page(req, title: req.tr("我的报名", "My applications"), content)
    }

    /// The review queue, filtered by plan, level, engine verdict and status.
    @Sendable static func queue(req: Request) async throws -> Response {
        let paging = try Paging(req)
        let query = StoredApplication.query(on: req.db)
        func opt(_ k: String) -> String? { req.query[String.self, at: k].flatMap { $0.isEmpty ? nil : $0 } }
        if let p = opt("plan").flatMap(UUID.init(uuidString:)) { query.filter(\.$planID == p) }
        if let l = opt("level").flatMap({ Int($0) }) { query.filter(\.$level == l) }
        if let v = opt("verdict") { query.filter(\.$engineEligible == (v == "eligible")) }
        let status = opt("status") ?? StoredApplication.Status.submitted.rawValue
        if status != "all" { query.filter(\.$status == status) }
        let total = try await query.count()
        let apps = try await query.sort(\.$createdAt).range(((paging.page - 1) * paging.perPage)..<(paging.page * paging.perPage)).all()
        var rows = ""
        for a in apps {
            let name = try await CandidateProfile.query(on: req.db).filter(\.$userID == a.candidateID).first()
            rows += "<tr><td><a href=\"/review/\(a.id!.uuidString)\">\(esc(name?.fullName ?? "—"))</a></td><td class=\"mono\">\(esc(name?.idNumberMasked ?? "—"))</td><td>\(Level(a.level).shortName)</td><td>\(a.engineEligible ? "<span class=\"badge ok\">\(req.tr("符合", "eligible"))</span>" : "<span class=\"badge bad\">\(req.tr("不符合", "not eligible"))</span>")</td><td>\(badge(a.statusValue, req))</td><td>\(H.time(a.createdAt))</td></tr>"
        }
        let plans = try await PlanStore.published(on: req.db)
        let content = """
            \(H.notice(req))
            <form class="filters" method="get" action="/review">
            \(H.select(req.tr("计划", "Plan"), name: "plan", options: [("", req.tr("全部", "All"))] + plans.map { ($0.id!.uuidString, "\($0.number) \($0.title)") }, selected: opt("plan") ?? "", req: req))
            \(H.select(req.tr("等级", "Level"), name: "level", options: [("", req.tr("全部", "All"))] + (1...5).reversed().map { (String($0), Level($0).shortName) }, selected: opt("level") ?? "", req: req))
            \(H.select(req.tr("系统判定", "Engine verdict"), name: "verdict", options: [("", req.tr("全部", "All")), ("eligible", req.tr("符合", "eligible")), ("not-eligible", req.tr("不符合", "not eligible"))], selected: opt("verdict") ?? "", req: req))
            \(H.select(req.tr("状态", "Status"), name: "status", options: [("all", req.tr("全部", "All"))] + StoredApplication.Status.allCases.map { ($0.rawValue, req.tr($0.nameZH, $0.nameEN)) }, selected: status, req: req))
            <button type="submit">\(req.tr("筛选", "Filter"))</button></form>
            <table><thead><tr><th>\(req.tr("姓名", "Name"))</th><th>\(req.tr("证件号码", "ID"))</th><th>\(req.tr("等级", "Level"))</th><th>\(req.tr("系统判定", "Engine"))</th><th>\(req.tr("状态", "Status"))</th><th>\(req.tr("提交时间", "Submitted"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"6\" class=\"muted\">\(req.tr("没有待处理的报名", "Nothing to review"))</td></tr>" : rows)</tbody></table>
            \(H.pager(req, page: paging.page, perPage: paging.perPage, total: total))
            """
        return Layout.page(req, title: req.tr("资格审核", "Eligibility review"), active: "/review", content)
    }

    static func application(_ req: Request) async throws -> StoredApplication {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)),
              let a = try await StoredApplication.find(id, on: req.db) else { throw DomainError.notFound(what: "application") }
        return a
    }

    @Sendable static func detail(req: Request) async throws -> Response {
        let a = try await application(req)
        let name = try await CandidateProfile.query(on: req.db).filter(\.$userID == a.candidateID).first()
        let id = a.id!.uuidString
        let open = [.submitted, .moreNeeded].contains(a.statusValue)
        let content = """
            \(H.notice(req))
            <p>\(esc(name?.fullName ?? "—")) · \(esc(name?.idNumberMasked ?? "—")) · \(esc(name?.employer ?? "")) · \(Level(a.level).fullName) · \(badge(a.statusValue, req))\(a.overridden ? " <span class=\"badge bad\">\(req.tr("与系统判定不一致", "overrides the engine"))</span>" : "")</p>
            <div class="alert \(a.engineEligible ? "alert-ok" : "alert-error")"><pre class="explanation">\(esc(a.engineExplanation))</pre></div>
            \(a.decisionReason.map { "<p>\(req.tr("审核意见", "Reason"))：\(esc($0))</p>" } ?? "")
            \(open ? """
            <form method="post" action="/review/\(id)">\(H.csrf(req))
            \(H.field(req.tr("意见或理由（退回、补充材料和与系统判定不一致时必填）", "Reason (required to reject, ask for more, or override)"), name: "reason", req: req))
            \(H.field(req.tr("补充材料截止日期", "Deadline for more material"), name: "deadline", type: "date", req: req))
            <div class="actions"><button type="submit" name="decision" value="approve" id="approve">\(req.tr("审核通过", "Approve"))</button>
            <button type="submit" name="decision" value="request-more" class="secondary" id="request-more">\(req.tr("要求补充材料", "Ask for more"))</button>
            <button type="submit" name="decision" value="reject" class="secondary" id="reject">\(req.tr("不予通过", "Reject"))</button></div></form>
            """ : "")
            """
        return Layout.page(req, title: req.tr("资格审核", "Eligibility review"), active: "/review", content)
    }

    @Sendable static func decide(req: Request) async throws -> Response {
        let a = try await application(req)
        let id = a.id!
        guard let decision = ApplicationStore.Decision(rawValue: (try? req.content.get(String.self, at: "decision")) ?? "") else {
            throw WebError.badField("decision", zh: "操作无效", en: "unknown decision")
        }
        let reason = (try? req.content.get(String.self, at: "reason")) ?? ""
        let deadline = (try? req.content.get(String.self, at: "deadline")).flatMap { LocalDate(iso: $0) }
        try await ApplicationStore.decide(decision, applicationID: id, reason: reason, deadline: deadline,
                                          reviewer: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/review/\(id.uuidString)?done=\(req.tr("已处理", "Done").urlQueryEncoded)")
    }
}
