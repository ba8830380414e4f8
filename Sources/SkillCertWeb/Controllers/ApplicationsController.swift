import Fluent
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import Vapor

/// Candidates apply to published plans with their materials; exam affairs review the explained engine verdicts.
enum ApplicationsController {
    static let reviewers: Set<Role> = [.administrator, .examAffairs]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "announcements/:number/apply", access: .anyOf([.candidate]), use: applyPage)
        r.endpoint(.POST, "announcements/:number/apply", access: .anyOf([.candidate]), body: .collect(maxSize: "60mb"), use: applySubmit)
        r.endpoint(.GET, "me/applications", access: .anyOf([.candidate]), use: mine)
        r.endpoint(.POST, "me/applications/:id/materials", access: .anyOf([.candidate]), body: .collect(maxSize: "60mb"), use: supplement)
        r.endpoint(.GET, "me/applications/:id/materials/:material", access: .anyOf([.candidate]), use: ownMaterial)
        r.endpoint(.GET, "review", access: .anyOf(reviewers), use: queue)
        r.endpoint(.GET, "review/export.xlsx", access: .anyOf(reviewers), use: export)
        r.endpoint(.GET, "review/:id", access: .anyOf(reviewers), use: detail)
        r.endpoint(.POST, "review/:id", access: .anyOf(reviewers), use: decide)
        r.endpoint(.POST, "review/:id/payment", access: .anyOf(reviewers), use: payment)
        r.endpoint(.GET, "review/:id/materials/:material", access: .anyOf(reviewers), use: reviewMaterial)
    }

    /// The signed-in candidate's profile.
    static func ownProfile(_ req: Request) async throws -> CandidateProfile {
        let user = try req.requireUser()
        guard let p = try await CandidateProfile.query(on: req.db).filter(\.$userID == user.id).first() else {
            throw DomainError.notFound(what: "candidate")
        }
        return p
    }

    /// Apply: choose a level, then attach the materials the plan lists for it. The background comes from the profile.
    @Sendable static func applyPage(req: Request) async throws -> Response {
        let row = try await PlansController.publishedPlan(req)
        let level = req.query[String.self, at: "level"].flatMap { Int($0) }
        return try await renderApply(req, plan: row, level: level, errors: [])
    }

    static func renderApply(_ req: Request, plan row: StoredPlan, level chosen: Int?, errors: [FieldError],
                            status: HTTPResponseStatus = .ok) async throws -> Response {
        let p = try row.plan()
        let profile = try await ownProfile(req)
        let number = esc(row.number)
        let level = chosen.flatMap { p.levels.contains($0) ? $0 : nil } ?? (p.levels.count == 1 ? p.levels[0] : nil)
        let levelLinks = p.levels.sorted(by: >).map {
            "<a class=\"button\($0 == level ? "" : " secondary")\" id=\"level-\($0)\" href=\"/announcements/\(number)/apply?level=\($0)\">\(Level($0).fullName)</a>"
        }.joined(separator: " ")
        var form = ""
        if profile.idNumberHash == nil || profile.photoKey == nil {
            form = "<div class=\"alert alert-error\" id=\"profile-first\">\(req.tr("请先在", "First complete "))<a href=\"/me/profile\">\(req.tr("个人信息", "your profile"))</a>\(req.tr("中填写证件号码、学历和工作经历并上传照片，再报名。", " (ID document, education, work, photo), then apply."))</div>"
        } else if let level {
            let required = p.materials.first { $0.level == level }?.items ?? []
            let slots = required.enumerated().map { i, name in
                "<div class=\"field\"><label for=\"f-material-\(i)\">\(esc(name)) <span class=\"req\">*</span></label><input id=\"f-material-\(i)\" type=\"file\" name=\"material[]\" accept=\".pdf,.jpg,.jpeg,.png\" required>\(H.fieldErrors(errors, "material[\(i)]", req))</div>"
            }.joined()
            form = """
                <form method="post" action="/announcements/\(number)/apply" enctype="multipart/form-data">\(H.csrf(req))
                <input type="hidden" name="level" value="\(level)">
                <h2>\(req.tr("申报", "Applying for")) \(Level(level).fullName)</h2>
                <p class="muted">\(req.tr("按个人信息中的出生日期、学历、工作经历、证书和职称判定申报条件。", "Eligibility is judged from the birth date, education, work, certificates and titles on your profile.")) <a href="/me/profile">\(req.tr("修改个人信息", "Edit profile"))</a></p>
                \(slots)
                <div class="field"><label for="f-extra">\(req.tr("其他材料（可选，可多选）", "Other material (optional)"))</label><input id="f-extra" type="file" name="extra[]" accept=".pdf,.jpg,.jpeg,.png" multiple></div>
                <p class="muted">\(req.tr("材料须为 PDF、JPEG 或 PNG 文件（按文件内容判断）。", "Files must be PDF, JPEG or PNG (judged by content)."))</p>
                <div class="actions"><button type="submit" id="apply">\(req.tr("提交报名", "Apply"))</button></div></form>
                """
        }
        let content = """
            \(H.errorSummary(errors, req: req))
            <p>\(esc(p.title)) · \(req.tr("报名时间", "registration")) \(p.registrationOpens)～\(p.registrationCloses)\(p.feeYuan > 0 ? " · \(req.tr("考试费", "fee")) \(p.feeYuan) \(req.tr("元", "yuan"))" : "")</p>
            <p>\(req.tr("选择申报等级：", "Choose a level: "))\(levelLinks)</p>
            \(form)
            """
        let response = Layout.page(req, title: req.tr("报名", "Apply"), content)
        response.status = status
        return response
    }

    struct ApplyForm: Content {
        var level: String?
        var material: [File]?
        var extra: [File]?
    }

    /// The uploads of a form: each required material in order, then any extra files. Empty file inputs are skipped.
    static func uploads(required: [String], material: [File]?, extra: [File]?) -> [ApplicationStore.Upload] {
        var result: [ApplicationStore.Upload] = []
        for (i, file) in (material ?? []).enumerated() where file.data.readableBytes > 0 {
            result.append(.init(material: required[safe: i] ?? "其他材料", fileName: file.filename, data: Data(buffer: file.data)))
        }
        for file in extra ?? [] where file.data.readableBytes > 0 {
            result.append(.init(material: "其他材料", fileName: file.filename, data: Data(buffer: file.data)))
        }
        return result
    }

    @Sendable static func applySubmit(req: Request) async throws -> Response {
        let row = try await PlansController.publishedPlan(req)
        let form = try req.content.decode(ApplyForm.self)
        let level = form.level.flatMap { Int($0) }
        do {
            guard let level else { throw ValidationFailure([.required("level", label: "申报等级")]) }
            let required = try row.plan().materials.first { $0.level == level }?.items ?? []
            _ = try await ApplicationStore.apply(planID: row.requireID(), level: level,
                                                 uploads: uploads(required: required, material: form.material, extra: form.extra),
                                                 candidate: try req.requireUser().actor, files: req.application.fileStore,
                                                 on: req.db, time: req.time)
        } catch let failure as ValidationFailure {
            return try await renderApply(req, plan: row, level: level, errors: failure.errors, status: .unprocessableEntity)
        } catch let e as DomainError {
            guard case .conflict(let code, let zh, let en) = e else { throw e }
            return try await renderApply(req, plan: row, level: level, errors: [FieldError(code: code, field: "level", zh: zh, en: en)],
                                         status: .conflict)
        }
        return req.redirect(to: "/me/applications?done=\(req.tr("报名已提交", "Application submitted").urlQueryEncoded)")
    }

    struct SupplementForm: Content {
        var note: String?
        var file: [File]?
    }

    /// The candidate adds the material the reviewer asked for; the application goes back to the queue.
    @Sendable static func supplement(req: Request) async throws -> Response {
        let a = try await application(req)
        let form = try req.content.decode(SupplementForm.self)
        let files = (form.file ?? []).map { ApplicationStore.Upload(material: "补充材料", fileName: $0.filename, data: Data(buffer: $0.data)) }
        do {
            try await ApplicationStore.supplement(applicationID: a.requireID(), uploads: files, note: form.note ?? "",
                                                  candidate: try req.requireUser().actor, files: req.application.fileStore,
                                                  on: req.db, time: req.time)
        } catch let failure as ValidationFailure {
            let first = failure.errors.first
            return req.redirect(to: "/me/applications?error=\(req.tr(first?.messageZH ?? "", first?.messageEN ?? "").urlQueryEncoded)")
        }
        return req.redirect(to: "/me/applications?done=\(req.tr("补充材料已提交，等待审核", "Material added; waiting for review").urlQueryEncoded)")
    }

    /// One stored material, served as what it was sniffed to be and never sniffed again by the browser.
    static func serveMaterial(_ req: Request, application a: StoredApplication) async throws -> Response {
        guard let mid = req.parameters.get("material").flatMap(UUID.init(uuidString:)),
              let m = try await ApplicationMaterial.find(mid, on: req.db), m.applicationID == a.id,
              let data = try await req.application.fileStore.get(m.fileKey) else { throw DomainError.notFound(what: "material") }
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.replaceOrAdd(name: .contentType, value: m.mediaType)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        response.headers.contentDisposition = .init(.inline, filename: m.fileName)
        return response
    }

    @Sendable static func ownMaterial(req: Request) async throws -> Response {
        let a = try await application(req)
        guard a.candidateID == (try req.requireUser().id) else { throw DomainError.notFound(what: "application") }
        return try await serveMaterial(req, application: a)
    }

    @Sendable static func reviewMaterial(req: Request) async throws -> Response {
        try await serveMaterial(req, application: try await application(req))
    }

    /// The materials of an application as links.
    static func materialList(_ req: Request, _ a: StoredApplication, base: String) async throws -> String {
        let materials = try await ApplicationMaterial.query(on: req.db).filter(\.$applicationID == a.requireID()).sort(\.$uploadedAt).all()
        guard !materials.isEmpty else { return "<p class=\"muted\">\(req.tr("没有上传材料", "No material"))</p>" }
        return "<ul class=\"materials\">" + materials.map { m in
            "<li><a href=\"\(base)/materials/\(m.id!.uuidString)\" target=\"_blank\">\(esc(m.name))：\(esc(m.fileName))</a> <span class=\"muted\">\(max(1, m.size / 1024)) KB · \(m.stage == "supplement" ? req.tr("补充", "supplement") : req.tr("报名时", "at submission")) · \(H.time(m.uploadedAt))</span></li>"
        }.joined() + "</ul>"
    }

    static func badge(_ s: StoredApplication.Status, _ req: Request) -> String {
        "<span class=\"badge \(s == .approved ? "ok" : s == .rejected ? "bad" : "")\">\(req.tr(s.nameZH, s.nameEN))</span>"
    }

    /// The candidate's applications with each decision and reason, their materials, and where asked, a form to add more.
    @Sendable static func mine(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let apps = try await StoredApplication.query(on: req.db).filter(\.$candidateID == user.id).sort(\.$createdAt, .descending).all()
        var cards = ""
        for a in apps {
            let plan = try await StoredPlan.find(a.planID, on: req.db)
            let id = try a.requireID().uuidString
            let payment = PaymentStatus(rawValue: a.paymentStatus) ?? .unpaid
            let more = a.statusValue == .moreNeeded ? """
                <form method="post" action="/me/applications/\(id)/materials" enctype="multipart/form-data" class="supplement">\(H.csrf(req))
                <div class="field"><label for="f-file-\(id)">\(req.tr("补充材料（PDF、JPEG 或 PNG，可多选）", "Additional material (PDF, JPEG or PNG)"))</label><input id="f-file-\(id)" class="supplement-file" type="file" name="file[]" accept=".pdf,.jpg,.jpeg,.png" multiple required></div>
                \(H.field(req.tr("说明（可选）", "Note (optional)"), name: "note", req: req))
                <div class="actions"><button type="submit" class="add-material">\(req.tr("提交补充材料", "Add material"))</button></div></form>
                """ : ""
            cards += """
                <section class="application" data-status="\(a.status)"><h2>\(esc(plan?.title ?? "")) · \(Level(a.level).fullName) \(badge(a.statusValue, req))</h2>
                \(a.decisionReason.map { "<p class=\"reason\">\(req.tr("审核意见", "Reviewer's reason"))：\(esc($0))\(a.moreDeadline.map { "（\(req.tr("补充截止", "by")) \(esc($0))）" } ?? "")</p>" } ?? "")
                <p>\(req.tr("缴费", "Payment"))：\(req.tr(payment.nameZH, payment.nameEN))\(a.receiptNumber.map { " · \(req.tr("票据号", "receipt")) \(esc($0))" } ?? "")</p>
                \(try await history(req, a))
                <details><summary>\(req.tr("申报条件判定", "Eligibility"))：\(a.engineEligible ? req.tr("符合", "eligible") : req.tr("不符合", "not eligible"))</summary><pre class="explanation">\(esc(a.engineExplanation))</pre></details>
                \(try await materialList(req, a, base: "/me/applications/\(id)"))
                \(more)</section>
                """
        }
        let error = req.query[String.self, at: "error"].map { "<div class=\"alert alert-error\" id=\"error\">\(esc($0))</div>" } ?? ""
        let content = """
            \(H.notice(req))\(error)
            \(cards.isEmpty ? "<p class=\"muted\">\(req.tr("尚未报名。请在“认定公告”中选择计划报名。", "No applications yet."))</p>" : cards)
            <p><a href="/announcements">\(req.tr("查看认定公告", "Announcements"))</a></p>
            """
        return Layout.page(req, title: req.tr("我的报名", "My applications"), content)
    }

    /// Every step of an application, from the audit trail, with each reviewer's reason: what the candidate may see.
    static func history(_ req: Request, _ a: StoredApplication) async throws -> String {
        let steps = try await AuditEntry.query(on: req.db).filter(\.$targetType == "application")
            .filter(\.$targetID == a.requireID().uuidString).sort(\.$id).all()
        let names: [String: (String, String)] = [
            "application.submit": ("提交报名", "Submitted"), "application.approve": ("审核通过", "Approved"),
            "application.reject": ("不予通过", "Rejected"), "application.request-more": ("要求补充材料", "More material asked for"),
            "application.supplement": ("补充材料", "Material added"), "application.payment": ("缴费信息更新", "Payment recorded"),
        ]
        let rows = steps.compactMap { e -> String? in
            guard let name = names[e.action] else { return nil }
            let time = String(e.occurredAt.prefix(16)).replacingOccurrences(of: "T", with: " ")
            return "<li><span class=\"muted\">\(esc(time)) UTC</span> \(req.tr(name.0, name.1))\(e.reason.map { "：\(esc($0))" } ?? "")</li>"
        }
        return rows.isEmpty ? "" : "<details class=\"history\"><summary>\(req.tr("办理记录", "History"))</summary><ul>\(rows.joined())</ul></details>"
    }

    /// The queue's filters from the query string.
    struct QueueFilter {
        var plan: UUID?
        var level: Int?
        var verdict: String?
        var status: String
        var employer: String?

        init(_ req: Request) {
            func opt(_ k: String) -> String? { req.query[String.self, at: k].flatMap { $0.isEmpty ? nil : $0 } }
            plan = opt("plan").flatMap(UUID.init(uuidString:))
            level = opt("level").flatMap { Int($0) }
            verdict = opt("verdict")
            status = opt("status") ?? StoredApplication.Status.submitted.rawValue
            employer = opt("employer")
        }

        func query(on db: any Database) -> QueryBuilder<StoredApplication> {
            let query = StoredApplication.query(on: db)
            if let plan { query.filter(\.$planID == plan) }
            if let level { query.filter(\.$level == level) }
            if let verdict { query.filter(\.$engineEligible == (verdict == "eligible")) }
            if status != "all" { query.filter(\.$status == status) }
            if let employer { query.filter(\.$employer ~~ employer) }
            return query
        }
    }

    /// The review queue, filtered by plan, level, engine verdict, status and employer; applications the reviewer must
    /// recuse from are marked.
    @Sendable static func queue(req: Request) async throws -> Response {
        let paging = try Paging(req)
        let filter = QueueFilter(req)
        let total = try await filter.query(on: req.db).count()
        let apps = try await filter.query(on: req.db).sort(\.$createdAt)
            .range(((paging.page - 1) * paging.perPage)..<(paging.page * paging.perPage)).all()
        let relations = try await RelationStore.declared(by: req.requireUser().id, on: req.db)
        let profiles = try await CandidateProfile.query(on: req.db).filter(\.$userID ~~ apps.map(\.candidateID)).all()
        let byUser = Dictionary(profiles.map { ($0.userID, $0) }, uniquingKeysWith: { a, _ in a })
        var rows = ""
        for a in apps {
            let p = byUser[a.candidateID]
            let recuse = relations.contains { r in r.covers(idNumberHash: p?.idNumberHash, employer: p?.employer ?? "") || r.covers(idNumberHash: nil, employer: a.employer) }
            rows += "<tr><td><a href=\"/review/\(a.id!.uuidString)\">\(esc(p?.fullName ?? "—"))</a>\(recuse ? " <span class=\"badge bad\">\(req.tr("须回避", "recuse"))</span>" : "")</td><td class=\"mono\">\(esc(p?.idNumberMasked ?? "—"))</td><td>\(esc(a.employer))</td><td>\(Level(a.level).shortName)</td><td>\(a.engineEligible ? "<span class=\"badge ok\">\(req.tr("符合", "eligible"))</span>" : "<span class=\"badge bad\">\(req.tr("不符合", "not eligible"))</span>")</td><td>\(badge(a.statusValue, req))</td><td>\(H.time(a.createdAt))</td></tr>"
        }
        let plans = try await PlanStore.published(on: req.db)
        let exportQuery = req.url.query.map { "?" + $0 } ?? ""
        let content = """
            \(H.notice(req))
            <form class="filters" method="get" action="/review">
            \(H.select(req.tr("计划", "Plan"), name: "plan", options: [("", req.tr("全部", "All"))] + plans.map { ($0.id!.uuidString, "\($0.number) \($0.title)") }, selected: filter.plan?.uuidString ?? "", req: req))
            \(H.select(req.tr("等级", "Level"), name: "level", options: [("", req.tr("全部", "All"))] + (1...5).reversed().map { (String($0), Level($0).shortName) }, selected: filter.level.map(String.init) ?? "", req: req))
            \(H.select(req.tr("系统判定", "Engine verdict"), name: "verdict", options: [("", req.tr("全部", "All")), ("eligible", req.tr("符合", "eligible")), ("not-eligible", req.tr("不符合", "not eligible"))], selected: filter.verdict ?? "", req: req))
            \(H.select(req.tr("状态", "Status"), name: "status", options: [("all", req.tr("全部", "All"))] + StoredApplication.Status.allCases.map { ($0.rawValue, req.tr($0.nameZH, $0.nameEN)) }, selected: filter.status, req: req))
            \(H.field(req.tr("工作单位", "Employer"), name: "employer", value: filter.employer ?? "", req: req))
            <button type="submit">\(req.tr("筛选", "Filter"))</button>
            <a class="button secondary" href="/review/export.xlsx\(esc(exportQuery))" id="export">\(req.tr("导出 XLSX（含完整证件号码，将记入审计日志）", "Export XLSX (full ID numbers; audited)"))</a></form>
            <table><thead><tr><th>\(req.tr("姓名", "Name"))</th><th>\(req.tr("证件号码", "ID"))</th><th>\(req.tr("工作单位", "Employer"))</th><th>\(req.tr("等级", "Level"))</th><th>\(req.tr("系统判定", "Engine"))</th><th>\(req.tr("状态", "Status"))</th><th>\(req.tr("提交时间", "Submitted"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"7\" class=\"muted\">\(req.tr("没有待处理的报名", "Nothing to review"))</td></tr>" : rows)</tbody></table>
            \(H.pager(req, page: paging.page, perPage: paging.perPage, total: total))
            <p><a href="/me/relations">\(req.tr("申报回避关系", "Declare relations (recusal)"))</a></p>
            """
        return Layout.page(req, title: req.tr("资格审核", "Eligibility review"), active: "/review", content)
    }

    /// The filtered applications as a spreadsheet with full ID numbers, for the roles that need them; the export is
    /// audited with its filter and row count.
    @Sendable static func export(req: Request) async throws -> Response {
        let filter = QueueFilter(req)
        let apps = try await filter.query(on: req.db).sort(\.$createdAt).limit(200_000).all()
        let sealer = try req.sealer()
        let profiles = try await CandidateProfile.query(on: req.db).filter(\.$userID ~~ apps.map(\.candidateID)).all()
        let byUser = Dictionary(profiles.map { ($0.userID, $0) }, uniquingKeysWith: { a, _ in a })
        let plans = Dictionary(try await StoredPlan.query(on: req.db).all().map { ($0.id!, $0.number) }, uniquingKeysWith: { a, _ in a })
        var rows: [[CellValue]] = []
        for a in apps {
            let p = byUser[a.candidateID]
            let idNumber = try p.flatMap { p in try p.idNumberCipher.map {
                String(decoding: try sealer.open($0, context: "candidate-id:\(p.userID.uuidString)"), as: UTF8.self) } } ?? ""
            rows.append([.text(plans[a.planID] ?? ""), .text(p?.fullName ?? ""), .text(CandidateAccounts.idTypeName(p?.idType)),
                         .text(idNumber), .text(a.employer), .text(Level(a.level).fullName),
                         .text(a.engineEligible ? "符合" : "不符合"), .text(a.statusValue.nameZH),
                         .text((PaymentStatus(rawValue: a.paymentStatus) ?? .unpaid).nameZH), .text(a.receiptNumber ?? ""),
                         .text(a.decisionReason ?? ""), .text(H.time(a.createdAt))])
        }
        let count = rows.count
        let query = req.url.query ?? "none"
        _ = try await AuditLog.transaction(on: req.db, actor: try req.requireUser().actor, time: req.time) { audit in
            try await audit.record(AuditEvent(action: "applications.export", targetType: "application", targetID: nil,
                                              details: "\(count) row(s) with full ID numbers; filter: \(query)"))
        }
        let sheet = Worksheet(name: "报名", header: ["计划编号", "姓名", "证件类型", "证件号码", "工作单位", "申报等级", "系统判定", "审核状态",
                                                   "缴费", "票据号", "审核意见", "提交时间"], rows: rows)
        return try xlsxResponse(sheet, filename: "applications.xlsx")
    }

    static func application(_ req: Request) async throws -> StoredApplication {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)),
              let a = try await StoredApplication.find(id, on: req.db) else { throw DomainError.notFound(what: "application") }
        return a
    }

    @Sendable static func detail(req: Request) async throws -> Response {
        let a = try await application(req)
        let name = try await CandidateProfile.query(on: req.db).filter(\.$userID == a.candidateID).first()
        let id = try a.requireID().uuidString
        let relation = try await RelationStore.conflict(staffID: req.requireUser().id, candidateID: a.candidateID, alsoEmployer: a.employer, on: req.db)
        let open = [.submitted, .moreNeeded].contains(a.statusValue) && relation == nil
        let payment = PaymentStatus(rawValue: a.paymentStatus) ?? .unpaid
        let paymentForm = payment == .notRequired ? "" : """
            <h2>\(req.tr("缴费", "Payment"))</h2>
            <form method="post" action="/review/\(id)/payment" class="filters">\(H.csrf(req))
            \(H.select(req.tr("缴费状态", "Status"), name: "status", options: PaymentStatus.allCases.filter { $0 != .notRequired }.map { ($0.rawValue, req.tr($0.nameZH, $0.nameEN)) }, selected: payment.rawValue, req: req))
            \(H.field(req.tr("票据号", "Receipt number"), name: "receipt", value: a.receiptNumber ?? "", req: req))
            <button type="submit" id="save-payment">\(req.tr("保存缴费信息", "Save payment"))</button></form>
            """
        let content = """
            \(H.notice(req))
            <p>\(esc(name?.fullName ?? "—")) · \(esc(name?.idNumberMasked ?? "—")) · \(esc(name?.employer ?? "")) · \(Level(a.level).fullName) · \(badge(a.statusValue, req))\(a.overridden ? " <span class=\"badge bad\">\(req.tr("与系统判定不一致", "overrides the engine"))</span>" : "")</p>
            \(relation.map { "<div class=\"alert alert-error\" id=\"recuse\">\(req.tr("您已申报与该考生存在“\($0.kindValue.nameZH)”关系，须回避，不能审核此报名。", "You declared a relation to this candidate and cannot review this application."))</div>" } ?? "")
            <div class="alert \(a.engineEligible ? "alert-ok" : "alert-error")"><pre class="explanation">\(esc(a.engineExplanation))</pre></div>
            <h2>\(req.tr("申报材料", "Materials"))</h2>
            \(try await materialList(req, a, base: "/review/\(id)"))
            \(a.decisionReason.map { "<p>\(req.tr("审核意见", "Reason"))：\(esc($0))</p>" } ?? "")
            \(open ? """
            <form method="post" action="/review/\(id)">\(H.csrf(req))
            \(H.field(req.tr("意见或理由（退回、补充材料和与系统判定不一致时必填）", "Reason (required to reject, ask for more, or override)"), name: "reason", req: req))
            \(H.field(req.tr("补充材料截止日期", "Deadline for more material"), name: "deadline", type: "date", req: req))
            <div class="actions"><button type="submit" name="decision" value="approve" id="approve">\(req.tr("审核通过", "Approve"))</button>
            <button type="submit" name="decision" value="request-more" class="secondary" id="request-more">\(req.tr("要求补充材料", "Ask for more"))</button>
            <button type="submit" name="decision" value="reject" class="secondary" id="reject">\(req.tr("不予通过", "Reject"))</button></div></form>
            """ : "")
            \(paymentForm)
            """
        return Layout.page(req, title: req.tr("资格审核", "Eligibility review"), active: "/review", content)
    }

    @Sendable static func decide(req: Request) async throws -> Response {
        let a = try await application(req)
        let id = try a.requireID()
        guard let decision = ApplicationStore.Decision(rawValue: (try? req.content.get(String.self, at: "decision")) ?? "") else {
            throw WebError.badField("decision", zh: "操作无效", en: "unknown decision")
        }
        let reason = (try? req.content.get(String.self, at: "reason")) ?? ""
        let deadline = (try? req.content.get(String.self, at: "deadline")).flatMap { LocalDate(iso: $0) }
        try await ApplicationStore.decide(decision, applicationID: id, reason: reason, deadline: deadline,
                                          reviewer: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/review/\(id.uuidString)?done=\(req.tr("已处理", "Done").urlQueryEncoded)")
    }

    /// Records the payment state and receipt number.
    @Sendable static func payment(req: Request) async throws -> Response {
        let a = try await application(req)
        guard let status = PaymentStatus(rawValue: (try? req.content.get(String.self, at: "status")) ?? ""), status != .notRequired else {
            throw WebError.badField("status", zh: "缴费状态无效", en: "unknown payment status")
        }
        try await ApplicationStore.recordPayment(applicationID: a.requireID(), status: status,
                                                 receipt: (try? req.content.get(String.self, at: "receipt")) ?? "",
                                                 staff: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/review/\(try a.requireID().uuidString)?done=\(req.tr("缴费信息已保存", "Payment saved").urlQueryEncoded)")
    }
}
