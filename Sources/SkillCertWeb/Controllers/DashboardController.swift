import FluentKit
import Fluent
import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// The dashboard and the user's own account page.
enum DashboardController {
    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "dashboard", access: .signedIn, use: dashboard)
        r.endpoint(.GET, "account", access: .signedIn, use: account)
        r.endpoint(.POST, "account/password", access: .signedIn, use: changePassword)
    }

    /// The dashboard: the body, today's place in the working calendar, the deadlines it gives, and the
    /// figures the user's departments watch.
    @Sendable static func dashboard(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let body = try await BodyStore.load(on: req.db)
        let calendar = try await CalendarStore.calendar(on: req.db)
        let settings = try await SettingsStore.all(on: req.db)
        let today = req.time.now().chinaLocalDate
        var cards: [String] = []

        let todayKind: String
        if let e = calendar.exception(on: today) {
            todayKind = e.kind == .holiday ? req.tr("节假日（\(e.name)）", "holiday (\(e.name))")
                                           : req.tr("调休上班日", "make-up workday")
        } else {
            todayKind = calendar.isWorkingDay(today) ? req.tr("工作日", "working day") : req.tr("休息日", "weekend")
        }
        let publicity = settings[.publicityWorkingDays] ?? 5
        let review = settings[.reviewRequestWorkingDays] ?? 10
        cards.append("""
            <div class="card" id="card-calendar"><div class="muted">\(req.tr("今天", "Today"))</div><div class="num">\(today)</div>
            <div>\(esc(todayKind))</div>
            <p class="muted">\(req.tr("若今天发布：公示 \(publicity) 个工作日至 \(calendar.addingWorkingDays(publicity, to: today))；复核申请 \(review) 个工作日至 \(calendar.addingWorkingDays(review, to: today))",
                "Released today: publicity of \(publicity) working days ends \(calendar.addingWorkingDays(publicity, to: today)); review requests (\(review) working days) close \(calendar.addingWorkingDays(review, to: today))"))</p></div>
            """)
        if user.roles.contains(.administrator) {
            let users = try await User.query(on: req.db).count()
            let locked = try await User.query(on: req.db).filter(\.$lockedUntil > req.time.now()).count()
            cards.append("""
                <div class="card"><div class="muted">\(req.tr("用户账号", "Accounts"))</div><div class="num">\(users)</div>
                <div>\(locked > 0 ? "<span class=\"badge bad\">\(req.tr("\(locked) 个账号已锁定", "\(locked) locked"))</span>" : req.tr("无锁定账号", "none locked"))</div>
                <a href="/admin/users">\(req.tr("管理用户", "Manage users"))</a></div>
                """)
        }
        if !user.roles.isDisjoint(with: ItemsController.bankRoles) {
            let inReview = try await StoredItemVersion.query(on: req.db).filter(\.$status == ItemStatus.inReview.rawValue).count()
            let approved = try await StoredItemVersion.query(on: req.db).filter(\.$status == ItemStatus.approved.rawValue).count()
            cards.append("""
                <div class="card" id="card-items"><div class="muted">\(req.tr("题库", "Item bank"))</div><div class="num">\(approved)</div>
                <div>\(req.tr("已通过试题", "approved items"))\(inReview > 0 ? " · <span class=\"badge\">\(req.tr("\(inReview) 道待审核", "\(inReview) in review"))</span>" : "")</div>
                <a href="/items?status=in-review">\(req.tr("审核试题", "Review items"))</a></div>
                """)
        }
        if !user.roles.isDisjoint(with: PapersController.unsealers) {
            let sealed = try await StoredPaper.query(on: req.db).filter(\.$status == StoredPaper.Status.sealed.rawValue).count()
            cards.append("""
                <div class="card"><div class="muted">\(req.tr("密封试卷", "Sealed papers"))</div><div class="num">\(sealed)</div>
                <a href="/papers">\(req.tr("组卷与试卷", "Papers"))</a></div>
                """)
        }
        if !user.roles.isDisjoint(with: [.coordination, .leadership, .administrator]) {
            let waiting = try await StoredPlan.query(on: req.db).filter(\.$status == PlanStatus.submitted.rawValue).count()
            let published = try await StoredPlan.query(on: req.db).filter(\.$status == PlanStatus.published.rawValue).count()
            cards.append("""
                <div class="card" id="card-plans"><div class="muted">\(req.tr("认定计划", "Plans"))</div><div class="num">\(published)</div>
                <div>\(req.tr("已发布", "published"))\(waiting > 0 ? " · <span class=\"badge\">\(req.tr("\(waiting) 个待审批", "\(waiting) awaiting approval"))</span>" : "")</div>
                <a href="/plans">\(req.tr("查看计划", "Plans"))</a></div>
                """)
        }
        if !user.roles.isDisjoint(with: ResultsController.affairs) {
            // Score reviews: open ones, and those past their answer deadline flagged.
            let open = try await ResultStore.reviews(openOnly: true, on: req.db)
            let overdue = open.filter { $0.overdue(on: today) }.count
            cards.append("""
                <div class="card" id="card-reviews"><div class="muted">\(req.tr("成绩复核", "Score reviews"))</div><div class="num">\(open.count)</div>
                <div>\(req.tr("未答复", "open"))\(overdue > 0 ? " · <span class=\"badge bad\" id=\"overdue-reviews\">\(req.tr("\(overdue) 件已逾期", "\(overdue) overdue"))</span>" : "")</div>
                <a href="/score-reviews?status=\(overdue > 0 ? "overdue" : "open")">\(req.tr("处理复核", "Handle reviews"))</a></div>
                """)
        }
        if !user.roles.isDisjoint(with: ScoringController.scorers) {
            let arbitrations = try await ScoringStore.chiefQueue(chiefID: user.id, on: req.db)
            let waiting = arbitrations.arbitrations.count + arbitrations.corrections.count
            if waiting > 0 {
                cards.append("""
                    <div class="card" id="card-chief"><div class="muted">\(req.tr("待仲裁与更正审批", "Arbitration & corrections"))</div><div class="num">\(waiting)</div>
                    <a href="/scoring/chief">\(req.tr("处理", "Decide"))</a></div>
                    """)
            }
        }
        if !user.roles.isDisjoint(with: RegistryController.readers) {
            // Appointments and examiner qualifications that end within 60 days.
            let expiring = try await RegistryStore.expiring(within: 60, today: today, on: req.db)
            let list = expiring.prefix(8).map { "<li>\(esc($0.name)) · \(esc($0.what)) · \(req.tr("至", "until")) \(esc($0.on))</li>" }.joined()
            cards.append("""
                <div class="card" id="card-registry"><div class="muted">\(req.tr("60 天内到期", "Expiring within 60 days"))</div><div class="num">\(expiring.count)</div>
                \(list.isEmpty ? "<div>\(req.tr("无到期的聘期或考评资格", "nothing expires soon"))</div>" : "<ul>\(list)</ul>")
                <a href="/registry">\(req.tr("考评员与督导员名册", "Registry"))</a></div>
                """)
        }
        if !user.roles.isDisjoint(with: SessionsController.affairs) {
            let upcoming = try await ExamSession.query(on: req.db).filter(\.$heldOn >= today.description).count()
            cards.append("""
                <div class="card" id="card-sessions"><div class="muted">\(req.tr("待举行场次", "Upcoming sessions"))</div><div class="num">\(upcoming)</div>
                <a href="/sessions">\(req.tr("场次与考场", "Sessions"))</a></div>
                """)
        }
        if !user.roles.isDisjoint(with: Roles.auditReaders) {
            let head = try await AuditQueries.head(on: req.db)
            cards.append("""
                <div class="card"><div class="muted">\(req.tr("审计日志条目", "Audit entries"))</div><div class="num">\(head.count)</div>
                <div class="muted mono">\(esc(String(head.last?.hash.prefix(16) ?? "—")))…</div>
                <a href="/audit/verify">\(req.tr("校验哈希链", "Verify the chain"))</a></div>
                """)
        }
        if !user.roles.isDisjoint(with: QualityController.qualityReaders) {
            // The latest analysis of each paper: items flagged out of range wait for the items & examiners department.
            var seen = Set<UUID>()
            var flagged = 0
            for a in try await PaperAnalysisRecord.query(on: req.db).sort(\.$computedAt, .descending).range(..<50).all() where seen.insert(a.paperID).inserted {
                flagged += a.flagged
            }
            cards.append("""
                <div class="card" id="card-quality"><div class="muted">\(req.tr("试卷质量", "Paper quality"))</div><div class="num">\(seen.count)</div>
                <div>\(req.tr("份试卷已分析", "papers analysed"))\(flagged > 0 ? " · <span class=\"badge bad\">\(req.tr("\(flagged) 道试题预警", "\(flagged) items flagged"))</span>" : "")</div>
                <a href="/quality/papers">\(req.tr("试卷质量分析", "Paper analysis"))</a> · <a href="/quality/examiners">\(req.tr("考评员一致性", "Examiner consistency"))</a></div>
                """)
        }
        if !user.roles.isDisjoint(with: ComplaintsController.managers) {
            let s = try await ComplaintStore.summary(planID: nil, today: today, on: req.db)
            let open = s.total - (s.byStatus[.answered] ?? 0) - (s.byStatus[.closed] ?? 0)
            cards.append("""
                <div class="card" id="card-complaints"><div class="muted">\(req.tr("申诉与投诉", "Complaints & appeals"))</div><div class="num">\(open)</div>
                <div>\(req.tr("件待办", "open"))\(s.overdue > 0 ? " · <span class=\"badge bad\">\(req.tr("\(s.overdue) 件超期", "\(s.overdue) overdue"))</span>" : "")</div>
                <a href="/complaints\(s.overdue > 0 ? "?status=overdue" : "")">\(req.tr("登记簿", "Register"))</a></div>
                """)
        }
        let bodyHTML: String
        if let body {
            let province = HolidayData.provinces().first { $0.code == body.provinceCode }?.name ?? body.provinceCode
            let sites = body.sites.map { "<li>\(esc($0.name))（\($0.code)）\(esc($0.address))</li>" }.joined()
            bodyHTML = """
                <div class="card" id="card-body"><div class="muted">\(req.tr("评价机构", "Certification body"))</div>
                <strong>\(esc(body.name))</strong><div>\(req.tr(body.type.nameZH, body.type.nameEN)) · \(req.tr("机构代码", "code")) \(body.code) · \(req.tr("省份", "province")) \(body.provinceCode) \(esc(province))</div>
                <ul>\(sites)</ul></div>
                """
        } else {
            bodyHTML = "<div class=\"alert alert-error\">\(req.tr("尚未填写评价机构信息，证书编号等功能需要它。", "The certification body is not set up yet; certificate numbers need it."))\(Layout.allowed("/settings/body", req: req) ? " <a href=\"/settings/body\">\(req.tr("去填写", "Set it up"))</a>" : "")</div>"
        }
        let roles = user.roles.sorted().map { "<span class=\"badge\">\(esc(req.tr($0.nameZH, $0.nameEN)))</span>" }.joined()
        let content = """
            <p>\(req.tr("您好，\(esc(user.displayName))。您的角色：", "Hello, \(esc(user.displayName)). Your roles: "))\(roles)</p>
            \(bodyHTML)
            <div class="cards">\(cards.joined())</div>
            """
        return Layout.page(req, title: req.tr("工作台", "Dashboard"), content)
    }

    struct PasswordForm: Content {
        var currentPassword: String?
        var newPassword: String?
        var confirmPassword: String?
    }

    /// The user's own account: roles and a password change form.
    @Sendable static func account(req: Request) async throws -> Response {
        accountPage(req, errors: [])
    }

    static func accountPage(_ req: Request, errors: [FieldError], status: HTTPResponseStatus = .ok) -> Response {
        let user = req.signedIn
        let roles = (user?.roles ?? []).sorted().map { "<span class=\"badge\">\(esc(req.tr($0.nameZH, $0.nameEN)))</span>" }.joined()
        let content = """
            \(H.notice(req))
            <p>\(req.tr("用户名", "Username"))：<strong>\(esc(user?.username ?? ""))</strong> \(roles)</p>
            <h2>\(req.tr("修改密码", "Change password"))</h2>
            \(H.errorSummary(errors, req: req))
            <form method="post" action="/account/password">\(H.csrf(req))
            \(H.field(req.tr("当前密码", "Current password"), name: "currentPassword", type: "password", required: true, errors: errors, req: req, attrs: "autocomplete=\"current-password\""))
            \(H.field(req.tr("新密码", "New password"), name: "newPassword", type: "password", required: true, errors: errors, req: req, attrs: "autocomplete=\"new-password\"", hint: req.tr("至少 \(PasswordPolicy.minimumLength) 位，包含字母、数字、符号中的两类", "at least \(PasswordPolicy.minimumLength) characters mixing two of letters, digits, symbols")))
            \(H.field(req.tr("确认新密码", "Confirm new password"), name: "confirmPassword", type: "password", required: true, errors: errors, req: req, attrs: "autocomplete=\"new-password\""))
            <div class="actions"><button type="submit">\(req.tr("修改密码", "Change password"))</button></div></form>
            """
        let response = Layout.page(req, title: req.tr("我的账号", "My account"), content)
        response.status = status
        return response
    }

    /// Changes the user's own password after checking the current one; other sessions end.
    @Sendable static func changePassword(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let form = try req.content.decode(PasswordForm.self)
        guard form.newPassword == form.confirmPassword else {
            return accountPage(req, errors: [FieldError(code: "mismatch", field: "confirmPassword",
                                                        zh: "两次输入的新密码不一致", en: "the new passwords differ")],
                               status: .unprocessableEntity)
        }
        do {
            try await Accounts.setPassword(userID: user.id, newPassword: form.newPassword ?? "",
                                           currentPassword: form.currentPassword ?? "", reason: nil,
                                           hasher: req.application.passwordHasher, on: req.db, actor: user.actor,
                                           time: req.time)
        } catch let failure as ValidationFailure {
            return accountPage(req, errors: failure.errors, status: .unprocessableEntity)
        }
        return req.redirect(to: "/login?next=/account")
    }
}
