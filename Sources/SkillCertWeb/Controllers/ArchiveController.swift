import Fluent
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import Vapor

extension Roles {
    /// Who keeps the archives: coordination (统筹) and the administrator; they export dossiers, propose disposal and
    /// place holds. Leadership reads and approves.
    static let archiveKeepers: Set<Role> = [.administrator, .coordination]
    static let archiveReaders: Set<Role> = archiveKeepers.union([.leadership])
}

/// Dossiers (档案) per plan as ZIP downloads, and retention: records past their period, legal holds, disposal jobs
/// (proposed by one person, approved by another of the leadership, then run) and the disposal register.
enum ArchiveController {
    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "archive", access: .anyOf(Roles.archiveReaders), use: index)
        r.endpoint(.GET, "plans/:id/archive", access: .anyOf(Roles.archiveReaders), use: download)
        r.endpoint(.GET, "archive/retention", access: .anyOf(Roles.archiveReaders), use: retention)
        r.endpoint(.POST, "archive/retention/jobs", access: .anyOf(Roles.archiveKeepers), use: propose)
        r.endpoint(.POST, "archive/retention/jobs/:id/approve", access: .anyOf([.leadership]), use: approve)
        r.endpoint(.POST, "archive/retention/jobs/:id/run", access: .anyOf(Roles.archiveKeepers), use: run)
        r.endpoint(.POST, "archive/retention/holds", access: .anyOf(Roles.archiveKeepers), use: placeHold)
        r.endpoint(.POST, "archive/retention/holds/:id/lift", access: .anyOf(Roles.archiveKeepers), use: liftHold)
    }

    /// The plans, each with its dossier download.
    @Sendable static func index(req: Request) async throws -> Response {
        let plans = try await StoredPlan.query(on: req.db).sort(\.$number, .descending).all()
        let rows = plans.map { p in
            "<tr><td class=\"mono\">\(esc(p.number))</td><td>\(esc(p.title))</td><td>\(esc(req.tr(p.statusValue.nameZH, p.statusValue.nameEN)))</td><td><a href=\"/plans/\(p.id!.uuidString)/archive\" download>\(req.tr("下载档案（ZIP）", "Download dossier (ZIP)"))</a></td></tr>"
        }.joined()
        let content: String = """
            <p class="muted">\(req.tr("按认定批次导出档案：报名与审核、备案（计划）、过程（签到表、考场记录、违纪与督导）、成绩与评分、证书，以及每名考生的材料。压缩包内 manifest.json 记录每个文件的 SHA-256，可用 skillcert archive verify 校验。导出会记入审计日志。",
                                     "Export a plan's dossier; manifest.json lists every file's SHA-256 (check with skillcert archive verify). Exports are audited."))</p>
            <p><a href="/archive/retention">\(req.tr("保存期限与销毁", "Retention and disposal"))</a></p>
            <table><thead><tr><th>\(req.tr("编号", "Number"))</th><th>\(req.tr("认定计划", "Plan"))</th><th>\(req.tr("状态", "Status"))</th><th></th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"4\" class=\"muted\">\(req.tr("暂无认定计划", "No plans"))</td></tr>" : rows)</tbody></table>
            """
        return Layout.page(req, title: req.tr("认定档案", "Dossiers"), content)
    }

    /// The plan's dossier as a ZIP; the export is audited.
    @Sendable static func download(req: Request) async throws -> Response {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "plan") }
        let package = try await DossierExport.export(planID: id, actor: try req.requireUser().actor, files: req.application.fileStore,
                                                     on: req.db, time: req.time)
        let response = Response(status: .ok, body: .init(data: package.data))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "zip")
        response.headers.contentDisposition = .init(.attachment, filename: "dossier-\(package.manifest.plan.number).zip")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    struct ProposeForm: Content {
        var records: [String]?
        var reason: String?
    }

    struct HoldForm: Content {
        var scope: String?
        var planID: String?
        var ticket: String?
        var holdReason: String?
    }

    struct ReasonForm: Content {
        var reason: String?
    }

    /// The retention schedule, records past retention, jobs, holds and the register.
    @Sendable static func retention(req: Request) async throws -> Response {
        try await render(req, errors: [])
    }

    static func render(_ req: Request, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let user = try req.requireUser()
        let keeper = !user.roles.isDisjoint(with: Roles.archiveKeepers)
        let settings = try await SettingsStore.all(on: req.db)
        let schedule: String = RetentionRecordType.allCases.map { t -> String in
            let years = settings[t.setting] ?? t.setting.defaultValue
            return "<tr><td>\(esc(req.tr(t.nameZH, t.nameEN)))</td><td>\(req.tr("证书发放后 \(years) 年", "\(years) years after certificates"))</td><td class=\"mono\">\(esc(t.setting.rawValue))</td></tr>"
        }.joined() + RetentionRecordType.longTerm.map { "<tr><td>\(esc(req.tr($0.zh, $0.en)))</td><td>\(req.tr("长期", "Long-term"))</td><td></td></tr>" }.joined()
        let due = try await RetentionStore.due(on: req.db, time: req.time)
        let dueRows: String = due.map { r -> String in
            let box = r.held ? req.tr("冻结中", "On hold")
                : (keeper ? "<input type=\"checkbox\" name=\"records[]\" value=\"\(r.type.rawValue)/\(r.recordID.uuidString)\" form=\"propose\">" : "")
            return "<tr><td>\(box)</td><td>\(esc(req.tr(r.type.nameZH, r.type.nameEN)))</td><td>\(esc(r.label))</td><td>\(esc(r.dueAt.chinaLocalDate.description))</td></tr>"
        }.joined()
        var jobRows = ""
        for job in try await RetentionStore.jobs(on: req.db) {
            let jid = try job.requireID().uuidString
            let items = try await RetentionStore.items(jobID: job.requireID(), on: req.db)
            var actions = ""
            if job.statusValue == .proposed && user.roles.contains(.leadership) && job.proposedBy != user.id {
                actions = "<form method=\"post\" action=\"/archive/retention/jobs/\(jid)/approve\" data-confirm=\"\(req.tr("确定批准销毁这些记录？", "Approve disposing of these records?"))\">\(H.csrf(req))<button type=\"submit\">\(req.tr("批准", "Approve"))</button></form>"
            } else if job.statusValue == .approved && keeper {
                actions = "<form method=\"post\" action=\"/archive/retention/jobs/\(jid)/run\" data-confirm=\"\(req.tr("销毁后不可恢复，确定执行？", "Disposal cannot be undone. Run it?"))\">\(H.csrf(req))<button type=\"submit\" class=\"danger\">\(req.tr("执行销毁", "Run"))</button></form>"
            }
            jobRows += "<tr><td>\(H.time(job.proposedAt))</td><td>\(esc(job.reason))</td><td>\(items.map { esc($0.label) }.joined(separator: "<br>"))</td><td>\(esc(job.statusValue.nameZH))</td><td>\(actions)</td></tr>"
        }
        let holdRows: String = try await RetentionStore.holds(on: req.db).map { h -> String in
            let lift = h.isActive && keeper
                ? "<form method=\"post\" action=\"/archive/retention/holds/\(h.id!.uuidString)/lift\">\(H.csrf(req))<input name=\"reason\" placeholder=\"\(req.tr("解除原因", "Reason"))\" required><button type=\"submit\" class=\"secondary\">\(req.tr("解除", "Lift"))</button></form>"
                : ""
            let state = h.isActive ? req.tr("有效", "Active") : esc(req.tr("已解除：", "Lifted: ") + (h.liftReason ?? ""))
            return "<tr><td>\(esc(h.scopeValue.nameZH))</td><td class=\"mono\">\(esc(h.targetID.uuidString))</td><td>\(esc(h.reason))</td><td>\(H.time(h.placedAt))</td><td>\(state)</td><td>\(lift)</td></tr>"
        }.joined()
        let registerRows = try await RetentionStore.register(on: req.db).map { e in
            "<tr><td>\(H.time(e.disposedAt))</td><td>\(esc(RetentionRecordType(rawValue: e.recordType)?.nameZH ?? e.recordType))</td><td>\(esc(e.label))</td><td>\(esc(e.details))</td><td class=\"mono\">\(esc(String(e.jobID.uuidString.prefix(8))))</td></tr>"
        }.joined()
        let plans = try await StoredPlan.query(on: req.db).sort(\.$number, .descending).all().map { ($0.id!.uuidString, "\($0.number) \($0.title)") }
        func empty(_ n: Int) -> String { "<tr><td colspan=\"\(n)\" class=\"muted\">\(req.tr("无", "None"))</td></tr>" }
        let proposeForm: String = keeper ? """
            <form method="post" action="/archive/retention/jobs" id="propose">\(H.csrf(req))
            \(H.field(req.tr("销毁理由", "Reason"), name: "reason", required: true, errors: errors, req: req))
            <div class="actions"><button type="submit">\(req.tr("提出销毁任务", "Propose a disposal job"))</button></div></form>
            """ : ""
        let holdForm: String = keeper ? """
            <form method="post" action="/archive/retention/holds">\(H.csrf(req))
            \(H.select(req.tr("对象", "Scope"), name: "scope", options: LegalHold.Scope.allCases.map { ($0.rawValue, $0.nameZH) }, selected: "plan", errors: errors, req: req))
            \(H.select(req.tr("认定批次（冻结批次时）", "Plan (for a plan hold)"), name: "planID", options: plans, selected: "", errors: errors, req: req))
            \(H.field(req.tr("准考证号（冻结考生时）", "Ticket number (for a candidate hold)"), name: "ticket", errors: errors, req: req))
            \(H.field(req.tr("冻结原因", "Reason"), name: "holdReason", required: true, errors: errors, req: req))
            <div class="actions"><button type="submit">\(req.tr("冻结", "Place hold"))</button></div></form>
            """ : ""
        let content: String = """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <h2>\(req.tr("保存期限", "Retention schedule"))</h2>
            <p class="muted">\(req.tr("期限在“规则参数”中设置。保存期届满前不得销毁；销毁须经领导小组批准并登记。", "Periods are set under Rules. Nothing is disposed of before its period ends, and only by an approved job."))</p>
            <table><thead><tr><th>\(req.tr("记录", "Record"))</th><th>\(req.tr("保存期限", "Kept"))</th><th>\(req.tr("设置项", "Setting"))</th></tr></thead><tbody>\(schedule)</tbody></table>
            <h2>\(req.tr("保存期已届满的记录", "Records past retention"))</h2>
            <table><thead><tr><th></th><th>\(req.tr("类别", "Type"))</th><th>\(req.tr("记录", "Record"))</th><th>\(req.tr("届满日期", "Due"))</th></tr></thead>
            <tbody>\(dueRows.isEmpty ? empty(4) : dueRows)</tbody></table>
            \(proposeForm)
            <h2>\(req.tr("销毁任务", "Disposal jobs"))</h2>
            <table><thead><tr><th>\(req.tr("提出时间", "Proposed"))</th><th>\(req.tr("理由", "Reason"))</th><th>\(req.tr("记录", "Records"))</th><th>\(req.tr("状态", "Status"))</th><th></th></tr></thead>
            <tbody>\(jobRows.isEmpty ? empty(5) : jobRows)</tbody></table>
            <h2>\(req.tr("冻结（法律保全）", "Legal holds"))</h2>
            <table><thead><tr><th>\(req.tr("对象", "Scope"))</th><th>ID</th><th>\(req.tr("原因", "Reason"))</th><th>\(req.tr("冻结时间", "Placed"))</th><th>\(req.tr("状态", "State"))</th><th></th></tr></thead>
            <tbody>\(holdRows.isEmpty ? empty(6) : holdRows)</tbody></table>
            \(holdForm)
            <h2>\(req.tr("销毁登记", "Disposal register"))</h2>
            <table><thead><tr><th>\(req.tr("销毁时间", "Disposed"))</th><th>\(req.tr("类别", "Type"))</th><th>\(req.tr("记录", "Record"))</th><th>\(req.tr("内容", "What"))</th><th>\(req.tr("任务", "Job"))</th></tr></thead>
            <tbody>\(registerRows.isEmpty ? empty(5) : registerRows)</tbody></table>
            """
        let response = Layout.page(req, title: req.tr("保存期限与销毁", "Retention and disposal"), content)
        response.status = status
        return response
    }

    /// Runs a store call; a refusal is shown on the page rather than as an error page.
    static func act(_ req: Request, done zh: String, _ en: String, _ work: () async throws -> Void) async throws -> Response {
        do {
            try await work()
        } catch let failure as ValidationFailure {
            return try await render(req, errors: failure.errors, status: .unprocessableEntity)
        } catch DomainError.conflict(let code, let zh, let en) {
            return try await render(req, errors: [FieldError(code: code, field: "records", zh: zh, en: en)], status: .conflict)
        }
        return req.redirect(to: "/archive/retention?done=\(req.tr(zh, en).urlQueryEncoded)")
    }

    /// Proposes a job disposing of the ticked records.
    @Sendable static func propose(req: Request) async throws -> Response {
        let f = try req.content.decode(ProposeForm.self)
        let records = (f.records ?? []).compactMap { value -> (type: RetentionRecordType, id: UUID)? in
            let parts = value.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, let type = RetentionRecordType(rawValue: parts[0]), let id = UUID(uuidString: parts[1]) else { return nil }
            return (type, id)
        }
        let actor = try req.requireUser().actor
        return try await act(req, done: "已提出销毁任务，待领导小组审批", "Proposed; awaiting approval") {
            try await RetentionStore.propose(records, reason: f.reason ?? "", actor: actor, on: req.db, time: req.time)
        }
    }

    /// Approves a proposed job (leadership, not the proposer).
    @Sendable static func approve(req: Request) async throws -> Response {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "disposal job") }
        let actor = try req.requireUser().actor
        return try await act(req, done: "已批准", "Approved") {
            try await RetentionStore.approve(id, actor: actor, on: req.db, time: req.time)
        }
    }

    /// Runs an approved job.
    @Sendable static func run(req: Request) async throws -> Response {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "disposal job") }
        let actor = try req.requireUser().actor
        return try await act(req, done: "已销毁并登记", "Disposed and registered") {
            try await RetentionStore.run(id, actor: actor, files: req.application.fileStore, on: req.db, time: req.time)
        }
    }

    /// Places a hold on a plan or on the candidate holding a ticket number.
    @Sendable static func placeHold(req: Request) async throws -> Response {
        let f = try req.content.decode(HoldForm.self)
        let actor = try req.requireUser().actor
        let scope = LegalHold.Scope(rawValue: f.scope ?? "") ?? .plan
        let target: UUID?
        switch scope {
        case .plan: target = f.planID.flatMap(UUID.init(uuidString:))
        case .candidate:
            let ticket = (f.ticket ?? "").trimmingCharacters(in: .whitespaces)
            target = ticket.isEmpty ? nil : try await AdmissionTicketRecord.query(on: req.db).filter(\.$number == ticket).first()?.candidateID
        }
        guard let target else {
            let error = scope == .plan ? FieldError(code: "not_found", field: "planID", zh: "请选择认定批次", en: "choose a plan")
                : FieldError(code: "not_found", field: "ticket", zh: "未找到该准考证号", en: "no such ticket")
            return try await render(req, errors: [error], status: .unprocessableEntity)
        }
        return try await act(req, done: "已冻结", "Hold placed") {
            try await RetentionStore.placeHold(scope, targetID: target, reason: f.holdReason ?? "", actor: actor, on: req.db, time: req.time)
        }
    }

    /// Lifts a hold, with the reason.
    @Sendable static func liftHold(req: Request) async throws -> Response {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "hold") }
        let f = try req.content.decode(ReasonForm.self)
        let actor = try req.requireUser().actor
        return try await act(req, done: "已解除冻结", "Hold lifted") {
            try await RetentionStore.liftHold(id, reason: f.reason ?? "", actor: actor, on: req.db, time: req.time)
        }
    }
}
