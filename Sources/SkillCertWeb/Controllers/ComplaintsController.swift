import Fluent
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import Vapor

/// Appeals and complaints (申诉与投诉): the public form and status lookup, and the staff register with assignment,
/// answers and the XLSX export.
enum ComplaintsController {
    /// Supervision, leadership and administrators manage the register.
    static let managers: Set<Role> = [.supervision, .leadership, .administrator]

    static func register(_ app: Application) {
        // Public intake: three submissions a minute per address, refilled continuously.
        app.complaintThrottle = RateLimiter(perMinute: 3)
        app.endpoint(.GET, "complaints/new", access: .everyone, use: newPage)
        app.endpoint(.POST, "complaints/new", access: .everyone, use: submit)
        app.endpoint(.GET, "complaints/status", access: .everyone, use: status)
        app.endpoint(.GET, "complaints", access: .anyOf(managers), use: list)
        app.endpoint(.POST, "complaints", access: .anyOf(managers), use: intake)
        app.endpoint(.GET, "complaints/export.xlsx", access: .anyOf(managers), use: export)
        app.endpoint(.GET, "complaints/:id", access: .anyOf(managers), use: detail)
        app.endpoint(.POST, "complaints/:id/assign", access: .anyOf(managers), use: assign)
        app.endpoint(.POST, "complaints/:id/answer", access: .anyOf(managers), use: answer)
        app.endpoint(.POST, "complaints/:id/close", access: .anyOf(managers), use: close)
    }

    struct IntakeForm: Content {
        var category: String?
        var subject: String?
        var text: String?
        var complainantName: String?
        var contact: String?
        var planId: String?
        var candidateId: String?
        var sessionId: String?
        var examinerId: String?
        /// A field people do not see: a bot that fills it in is turned away.
        var website: String?

        var intake: ComplaintStore.Intake {
            .init(category: category ?? "", subject: subject ?? "", text: text ?? "", complainantName: complainantName ?? "",
                  contact: contact ?? "", planID: planId ?? "", candidateID: candidateId ?? "", sessionID: sessionId ?? "",
                  examinerID: examinerId ?? "")
        }
    }

    static func categoryOptions(_ req: Request) -> [(String, String)] {
        ComplaintCategory.allCases.map { ($0.rawValue, req.tr($0.nameZH, $0.nameEN)) }
    }

    static func textArea(_ label: String, name: String, value: String, required: Bool, errors: [FieldError], req: Request) -> String {
        "<div class=\"field\(errors.contains { $0.field == name } ? " has-error" : "")\"><label for=\"f-\(name)\">\(esc(label))\(required ? " <span class=\"req\">*</span>" : "")</label>"
            + "<textarea id=\"f-\(name)\" name=\"\(name)\" rows=\"5\"\(required ? " required" : "")>\(esc(value))</textarea>\(H.fieldErrors(errors, name, req))</div>"
    }

    // MARK: Public

    /// The public form: anyone may raise an appeal, complaint or report without an account.
    @Sendable static func newPage(req: Request) async throws -> Response {
        renderNew(req, form: IntakeForm(), errors: [])
    }

    static func renderNew(_ req: Request, form f: IntakeForm, errors: [FieldError], status: HTTPResponseStatus = .ok) -> Response {
        let response = Layout.page(req, title: req.tr("申诉与投诉", "Appeals and complaints"), """
            \(H.errorSummary(errors, req: req))
            <p>\(req.tr("对认定结果有异议，或对工作人员、考评员的行为有意见，可在此提出。提交后您将获得受理编号，凭编号和联系方式可查询办理进度和答复。",
                        "Raise an appeal against a result or a complaint about conduct. You get a reference number to follow it up with your contact."))</p>
            <form method="post" action="/complaints/new" id="complaint-form">\(H.csrf(req))
            \(H.select(req.tr("类别", "Category"), name: "category", options: categoryOptions(req), selected: f.category ?? "appeal", errors: errors, req: req))
            \(H.field(req.tr("事由", "Subject"), name: "subject", value: f.subject ?? "", required: true, errors: errors, req: req))
            \(textArea(req.tr("具体内容（时间、地点、涉及人员、诉求）", "Details"), name: "text", value: f.text ?? "", required: true, errors: errors, req: req))
            \(H.field(req.tr("姓名", "Your name"), name: "complainantName", value: f.complainantName ?? "", required: true, errors: errors, req: req))
            \(H.field(req.tr("联系方式（手机号码或电子邮箱）", "Mobile or e-mail"), name: "contact", value: f.contact ?? "", required: true, errors: errors, req: req))
            <div class="field" hidden aria-hidden="true"><label for="f-website">Website</label><input id="f-website" name="website" tabindex="-1" autocomplete="off"></div>
            <div class="actions"><button type="submit" id="submit-complaint">\(req.tr("提交", "Submit"))</button></div></form>
            <p><a href="/complaints/status">\(req.tr("查询办理进度", "Follow up a complaint"))</a></p>
            """)
        response.status = status
        return response
    }

    /// Refuses an address past its allowance with a 429 that says when to try again.
    static func throttle(_ req: Request, _ limiter: RateLimiter) throws {
        try limiter.charge(req, code: "too_many_requests", zh: { "提交过于频繁，请 \($0) 秒后再试" }, en: { "too many requests; try again in \($0) seconds" })
    }

    @Sendable static func submit(req: Request) async throws -> Response {
        try throttle(req, req.application.complaintThrottle)
        let f = try req.content.decode(IntakeForm.self)
        guard (f.website ?? "").isEmpty else {
            return renderNew(req, form: IntakeForm(), errors: [FieldError(code: "rejected", field: "website", zh: "提交未被接受", en: "not accepted")],
                             status: .unprocessableEntity)
        }
        do {
            let c = try await ComplaintStore.receive(f.intake, fromPublic: true, actor: .system("public"), on: req.db, time: req.time)
            return Layout.page(req, title: req.tr("已受理", "Received"), """
                <div class="alert alert-ok" role="status">\(req.tr("您的\(c.categoryValue.nameZH)已受理。", "Your \(c.categoryValue.nameEN.lowercased()) has been received."))</div>
                <p>\(req.tr("受理编号", "Reference")): <strong class="mono" id="reference">\(esc(c.reference))</strong></p>
                <p>\(req.tr("我们将在 \(c.dueOn) 前答复。请记下编号，凭编号和联系方式", "We will answer by \(c.dueOn). Keep the reference; "))
                <a href="/complaints/status?ref=\(c.reference.urlQueryEncoded)">\(req.tr("查询办理进度", "follow it up here"))</a>。</p>
                """)
        } catch let failure as ValidationFailure {
            return renderNew(req, form: f, errors: failure.errors, status: .unprocessableEntity)
        }
    }

    /// The complainant's view: status and reply, for the reference with the contact given at intake.
    @Sendable static func status(req: Request) async throws -> Response {
        let ref = req.query[String.self, at: "ref"] ?? ""
        let contact = req.query[String.self, at: "contact"] ?? ""
        var result = ""
        if !ref.isEmpty && !contact.isEmpty {
            try throttle(req, req.application.verifyThrottle)
            if let c = try await ComplaintStore.lookup(reference: ref, contact: contact, on: req.db) {
                result = """
                    <dl id="complaint-status"><dt>\(req.tr("受理编号", "Reference"))</dt><dd class="mono">\(esc(c.reference))</dd>
                    <dt>\(req.tr("事由", "Subject"))</dt><dd>\(esc(c.subject))</dd>
                    <dt>\(req.tr("受理日期", "Received"))</dt><dd>\(esc(c.receivedOn))</dd>
                    <dt>\(req.tr("答复期限", "Answer by"))</dt><dd>\(esc(c.dueOn))</dd>
                    <dt>\(req.tr("状态", "Status"))</dt><dd><span class="badge">\(req.tr(c.statusValue.nameZH, c.statusValue.nameEN))</span></dd>
                    \(c.reply.map { "<dt>\(req.tr("答复", "Reply"))</dt><dd id=\"reply\">\(esc($0))</dd>" } ?? "")</dl>
                    """
            } else {
                result = "<p class=\"alert alert-error\" id=\"result\">\(req.tr("未找到：请核对受理编号和联系方式", "Not found: check the reference and the contact"))</p>"
            }
        }
        return Layout.page(req, title: req.tr("申诉与投诉办理进度查询", "Follow up a complaint"), """
            <form method="get" action="/complaints/status" class="filters">
            \(H.field(req.tr("受理编号", "Reference"), name: "ref", value: ref, req: req))
            \(H.field(req.tr("提交时填写的联系方式", "Contact given"), name: "contact", value: contact, req: req, attrs: "autocomplete=\"off\""))
            <button type="submit">\(req.tr("查询", "Look up"))</button></form>
            \(result)
            """)
    }

    // MARK: Register

    static func filter(_ req: Request) -> ComplaintStore.Filter {
        var f = ComplaintStore.Filter()
        f.search = req.query[String.self, at: "q"] ?? ""
        f.category = req.query[String.self, at: "category"].flatMap(ComplaintCategory.init(rawValue:))
        let status = req.query[String.self, at: "status"] ?? ""
        f.status = ComplaintStatus(rawValue: status)
        f.overdue = status == "overdue"
        f.assigneeID = req.query[String.self, at: "assignee"].flatMap(UUID.init(uuidString:))
        f.planID = req.query[String.self, at: "plan"].flatMap(UUID.init(uuidString:))
        return f
    }

    static func statusBadge(_ c: StoredComplaint, today: LocalDate, _ req: Request) -> String {
        "<span class=\"badge\">\(req.tr(c.statusValue.nameZH, c.statusValue.nameEN))</span>"
            + (c.isOverdue(on: today) ? " <span class=\"badge bad overdue\">\(req.tr("已超期", "overdue"))</span>" : "")
    }

    /// Display names of users by id.
    static func userNames(_ ids: [UUID], on db: any Database) async throws -> [UUID: String] {
        Dictionary(try await User.query(on: db).filter(\.$id ~~ ids).all().map { ($0.id!, $0.displayName) }, uniquingKeysWith: { a, _ in a })
    }

    /// The register with search, filters and paging, and the form for a complaint taken down by staff.
    @Sendable static func list(req: Request) async throws -> Response {
        try await renderList(req, form: IntakeForm(), errors: [])
    }

    static func renderList(_ req: Request, form f: IntakeForm, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let paging = try Paging(req)
        let today = req.time.now().chinaLocalDate
        let (total, rows) = try await ComplaintStore.list(filter(req), today: today, page: paging.page, perPage: paging.perPage, on: req.db)
        let names = try await userNames(rows.compactMap(\.assigneeID), on: req.db)
        let body = rows.map { c in
            "<tr data-reference=\"\(esc(c.reference))\"><td class=\"mono\"><a href=\"/complaints/\(c.id!.uuidString)\">\(esc(c.reference))</a></td><td>\(req.tr(c.categoryValue.nameZH, c.categoryValue.nameEN))</td>"
                + "<td>\(esc(c.subject))</td><td>\(esc(c.complainantName))</td><td>\(esc(c.receivedOn))</td><td>\(esc(c.dueOn))</td>"
                + "<td>\(esc(c.assigneeID.flatMap { names[$0] } ?? "—"))</td><td>\(statusBadge(c, today: today, req))</td></tr>"
        }.joined()
        let statusOptions = [("", req.tr("全部状态", "Any status")), ("overdue", req.tr("已超期", "Overdue"))]
            + ComplaintStatus.allCases.map { ($0.rawValue, req.tr($0.nameZH, $0.nameEN)) }
        let exportQuery = req.url.query.map { "?" + $0 } ?? ""
        let response = Layout.page(req, title: req.tr("申诉与投诉登记", "Complaints register"), active: "/complaints", """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <form method="get" action="/complaints" class="filters">
            \(H.field(req.tr("搜索（编号、事由、姓名）", "Search"), name: "q", value: req.query[String.self, at: "q"] ?? "", req: req))
            \(H.select(req.tr("类别", "Category"), name: "category", options: [("", req.tr("全部类别", "Any category"))] + categoryOptions(req),
                       selected: req.query[String.self, at: "category"] ?? "", req: req))
            \(H.select(req.tr("状态", "Status"), name: "status", options: statusOptions, selected: req.query[String.self, at: "status"] ?? "", req: req))
            <button type="submit">\(req.tr("筛选", "Filter"))</button> <a href="/complaints/export.xlsx\(esc(exportQuery))">\(req.tr("导出 Excel", "Export XLSX"))</a></form>
            <table id="complaints"><thead><tr><th>\(req.tr("受理编号", "Reference"))</th><th>\(req.tr("类别", "Category"))</th><th>\(req.tr("事由", "Subject"))</th>
            <th>\(req.tr("提出人", "From"))</th><th>\(req.tr("受理日期", "Received"))</th><th>\(req.tr("答复期限", "Due"))</th><th>\(req.tr("承办人", "Assignee"))</th><th>\(req.tr("状态", "Status"))</th></tr></thead>
            <tbody>\(body.isEmpty ? "<tr><td colspan=\"8\" class=\"muted\">\(req.tr("暂无记录", "None"))</td></tr>" : body)</tbody></table>
            \(H.pager(req, page: paging.page, perPage: paging.perPage, total: total))
            <details\(errors.isEmpty ? "" : " open")><summary>\(req.tr("登记来信、来电、来访", "Register a complaint received by letter, phone or visit"))</summary>
            <form method="post" action="/complaints" id="staff-intake">\(H.csrf(req))
            \(H.select(req.tr("类别", "Category"), name: "category", options: categoryOptions(req), selected: f.category ?? "complaint", errors: errors, req: req))
            \(H.field(req.tr("事由", "Subject"), name: "subject", value: f.subject ?? "", required: true, errors: errors, req: req))
            \(textArea(req.tr("具体内容", "Details"), name: "text", value: f.text ?? "", required: true, errors: errors, req: req))
            \(H.field(req.tr("提出人（匿名可不填）", "From (blank if anonymous)"), name: "complainantName", value: f.complainantName ?? "", errors: errors, req: req))
            \(H.field(req.tr("联系方式（手机号码或电子邮箱）", "Mobile or e-mail"), name: "contact", value: f.contact ?? "", errors: errors, req: req))
            \(H.field(req.tr("关联认定计划编号（系统编号，可不填）", "Plan id (optional)"), name: "planId", value: f.planId ?? "", errors: errors, req: req))
            \(H.field(req.tr("关联考生编号", "Candidate id (optional)"), name: "candidateId", value: f.candidateId ?? "", errors: errors, req: req))
            \(H.field(req.tr("关联场次编号", "Session id (optional)"), name: "sessionId", value: f.sessionId ?? "", errors: errors, req: req))
            \(H.field(req.tr("关联考评员编号", "Examiner id (optional)"), name: "examinerId", value: f.examinerId ?? "", errors: errors, req: req))
            <div class="actions"><button type="submit">\(req.tr("登记", "Register"))</button></div></form></details>
            """)
        response.status = status
        return response
    }

    @Sendable static func intake(req: Request) async throws -> Response {
        let f = try req.content.decode(IntakeForm.self)
        do {
            let c = try await ComplaintStore.receive(f.intake, fromPublic: false, actor: try req.requireUser().actor, on: req.db, time: req.time)
            return req.redirect(to: "/complaints/\(c.id!.uuidString)?done=" + req.tr("已登记，编号 \(c.reference)", "Registered as \(c.reference)").urlQueryEncoded)
        } catch let failure as ValidationFailure {
            return try await renderList(req, form: f, errors: failure.errors, status: .unprocessableEntity)
        }
    }

    /// The filtered register as a spreadsheet.
    @Sendable static func export(req: Request) async throws -> Response {
        let today = req.time.now().chinaLocalDate
        let rows = try await ComplaintStore.all(filter(req), today: today, on: req.db)
        let names = try await userNames(rows.compactMap(\.assigneeID), on: req.db)
        let sheet = Worksheet(name: "申诉与投诉", header: ["受理编号", "类别", "来源", "事由", "提出人", "联系方式", "受理日期", "答复期限", "承办人", "状态", "是否超期", "处理结论", "答复"],
                              rows: rows.map { c in
            [.text(c.reference), .text(c.categoryValue.nameZH), .text(c.channel == "staff" ? "工作人员登记" : "网上提交"), .text(c.subject),
             .text(c.complainantName), .text(c.contact), .text(c.receivedOn), .text(c.dueOn), .text(c.assigneeID.flatMap { names[$0] } ?? ""),
             .text(c.statusValue.nameZH), .text(c.isOverdue(on: today) ? "是" : "否"), .text(c.outcomeValue?.nameZH ?? ""), .text(c.reply ?? "")]
        })
        return try xlsxResponse(sheet, filename: "complaints-\(today).xlsx")
    }

    static func complaint(_ req: Request) async throws -> StoredComplaint {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "complaint") }
        return try await ComplaintStore.find(id, on: req.db)
    }

    /// Names for the links that resolve.
    static func links(_ c: StoredComplaint, _ req: Request) async throws -> String {
        var parts: [String] = []
        if let id = c.planID, let p = try await StoredPlan.find(id, on: req.db) {
            parts.append("\(req.tr("认定计划", "Plan"))：<a href=\"/plans/\(id.uuidString)\">\(esc(p.title))</a>")
        }
        if let id = c.candidateID {
            let name = try await CandidateProfile.query(on: req.db).filter(\.$userID == id).first()?.fullName
            parts.append("\(req.tr("考生", "Candidate"))：\(esc(name ?? id.uuidString))")
        }
        if let id = c.sessionID {
            let s = try await ExamSession.find(id, on: req.db)
            parts.append("\(req.tr("场次", "Session"))：\(esc(s.map { "\($0.heldOn) \($0.modeValue.nameZH) \(Level($0.level).shortName)" } ?? id.uuidString))")
        }
        if let id = c.examinerID {
            let m = try await RegistryMember.find(id, on: req.db)
            parts.append("\(req.tr("考评员", "Examiner"))：\(esc(m?.fullName ?? id.uuidString))")
        }
        return parts.isEmpty ? "" : "<p id=\"links\">" + parts.joined(separator: " · ") + "</p>"
    }

    /// One complaint with its handling: assign, answer, close.
    @Sendable static func detail(req: Request) async throws -> Response {
        let c = try await complaint(req)
        let id = c.id!.uuidString
        let today = req.time.now().chinaLocalDate
        let staff = try await User.query(on: req.db).filter(\.$isActive == true).with(\.$roleAssignments).sort(\.$displayName).all()
            .filter { !$0.roles.isDisjoint(with: Role.staff) }
        let names = try await userNames([c.assigneeID, c.answeredBy].compactMap { $0 }, on: req.db)
        let open = c.statusValue.isOpen
        let handling = open ? """
            <h2>\(req.tr("指派承办人", "Assign"))</h2>
            <form method="post" action="/complaints/\(id)/assign" class="filters">\(H.csrf(req))
            \(H.select(req.tr("承办人", "Assignee"), name: "assigneeId", options: staff.map { ($0.id!.uuidString, $0.displayName) }, selected: c.assigneeID?.uuidString ?? "", req: req))
            <button type="submit" id="assign">\(req.tr("指派", "Assign"))</button></form>
            <h2>\(req.tr("答复", "Answer"))</h2>
            <form method="post" action="/complaints/\(id)/answer">\(H.csrf(req))
            \(H.select(req.tr("处理结论", "Outcome"), name: "outcome", options: ComplaintOutcome.allCases.map { ($0.rawValue, req.tr($0.nameZH, $0.nameEN)) }, selected: "", req: req))
            \(textArea(req.tr("答复内容（提出人可查询）", "Reply (the complainant sees it)"), name: "reply", value: "", required: true, errors: [], req: req))
            <div class="actions"><button type="submit" id="answer">\(req.tr("答复", "Answer"))</button></div></form>
            """ : ""
        let closing = c.statusValue != .closed ? """
            <form method="post" action="/complaints/\(id)/close" class="filters" data-confirm="\(req.tr("确定办结该事项？", "Close this complaint?"))">\(H.csrf(req))
            \(H.field(req.tr("办结说明", "Reason"), name: "reason", required: true, req: req))<button type="submit" class="secondary">\(req.tr("办结", "Close"))</button></form>
            """ : ""
        return Layout.page(req, title: "\(req.tr(c.categoryValue.nameZH, c.categoryValue.nameEN)) \(c.reference)", active: "/complaints", """
            \(H.notice(req))
            <p><a href="/complaints">\(req.tr("返回登记簿", "Back to the register"))</a></p>
            <dl><dt>\(req.tr("状态", "Status"))</dt><dd id="status">\(statusBadge(c, today: today, req))</dd>
            <dt>\(req.tr("事由", "Subject"))</dt><dd>\(esc(c.subject))</dd>
            <dt>\(req.tr("具体内容", "Details"))</dt><dd>\(esc(c.text))</dd>
            <dt>\(req.tr("提出人", "From"))</dt><dd>\(esc(c.complainantName.isEmpty ? req.tr("匿名", "anonymous") : c.complainantName)) \(esc(c.contact))</dd>
            <dt>\(req.tr("受理", "Received"))</dt><dd>\(H.time(c.receivedAt))（\(c.channel == "staff" ? req.tr("工作人员登记", "by staff") : req.tr("网上提交", "online"))）</dd>
            <dt>\(req.tr("答复期限", "Answer by"))</dt><dd>\(esc(c.dueOn))</dd>
            <dt>\(req.tr("承办人", "Assignee"))</dt><dd>\(esc(c.assigneeID.flatMap { names[$0] } ?? "—"))</dd>
            \(c.reply.map { "<dt>\(req.tr("答复", "Reply"))</dt><dd>\(esc(c.outcomeValue.map { req.tr($0.nameZH, $0.nameEN) } ?? ""))：\(esc($0))（\(H.time(c.answeredAt)) \(esc(c.answeredBy.flatMap { names[$0] } ?? ""))）</dd>" } ?? "")</dl>
            \(try await links(c, req))
            \(handling)\(closing)
            """)
    }

    @Sendable static func assign(req: Request) async throws -> Response {
        struct Form: Content { var assigneeId: String? }
        let c = try await complaint(req)
        guard let assignee = try req.content.decode(Form.self).assigneeId.flatMap(UUID.init(uuidString:)) else {
            throw WebError.badField("assigneeId", zh: "请选择承办人", en: "choose an assignee")
        }
        try await ComplaintStore.assign(c.requireID(), to: assignee, actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/complaints/\(c.id!.uuidString)?done=" + req.tr("已指派", "Assigned").urlQueryEncoded)
    }

    @Sendable static func answer(req: Request) async throws -> Response {
        struct Form: Content { var outcome: String?; var reply: String? }
        let c = try await complaint(req)
        let f = try req.content.decode(Form.self)
        try await ComplaintStore.answer(c.requireID(), outcome: f.outcome ?? "", reply: f.reply ?? "", actor: try req.requireUser().actor,
                                        on: req.db, time: req.time)
        return req.redirect(to: "/complaints/\(c.id!.uuidString)?done=" + req.tr("已答复", "Answered").urlQueryEncoded)
    }

    @Sendable static func close(req: Request) async throws -> Response {
        struct Form: Content { var reason: String? }
        let c = try await complaint(req)
        try await ComplaintStore.close(c.requireID(), reason: try req.content.decode(Form.self).reason ?? "", actor: try req.requireUser().actor,
                                       on: req.db, time: req.time)
        return req.redirect(to: "/complaints/\(c.id!.uuidString)?done=" + req.tr("已办结", "Closed").urlQueryEncoded)
    }
}

extension Application {
    private struct ComplaintThrottleKey: StorageKey { typealias Value = RateLimiter }

    /// Public complaint submissions per client address; set when the routes are registered.
    var complaintThrottle: RateLimiter {
        get { storage[ComplaintThrottleKey.self]! }
        set { storage[ComplaintThrottleKey.self] = newValue }
    }
}
