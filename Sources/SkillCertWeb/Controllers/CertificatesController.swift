import Fluent
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import Vapor

/// Certificates: batch issuing with progress, the register with distribution, replacement and status changes, PDFs
/// (one or a print batch), the signed credential, the public verification page and API, the JWKS and status lists,
/// and the national export.
enum CertificatesController {
    static let staff: Set<Role> = [.administrator, .certificate]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "certificates", access: .anyOf(staff), use: list)
        r.endpoint(.GET, "certificates/:number", access: .anyOf(staff), use: show)
        r.endpoint(.GET, "certificates/:number/pdf", access: .anyOf(staff), use: staffPDF)
        r.endpoint(.POST, "certificates/:number/distribute", access: .anyOf(staff), use: distribute)
        r.endpoint(.POST, "certificates/:number/replace", access: .anyOf(staff), use: replace)
        r.endpoint(.POST, "certificates/:number/status", access: .anyOf(staff), use: changeStatus)
        r.endpoint(.GET, "plans/:id/certificates", access: .anyOf(staff), use: planPage)
        r.endpoint(.POST, "plans/:id/certificates/issue", access: .anyOf(staff), use: issue)
        r.endpoint(.GET, "plans/:id/certificates/batch.pdf", access: .anyOf(staff), use: batchPDF)
        r.endpoint(.GET, "plans/:id/certificates/national.xlsx", access: .anyOf(staff), use: nationalXLSX)
        r.endpoint(.GET, "plans/:id/certificates/national.csv", access: .anyOf(staff), use: nationalCSV)
        r.endpoint(.GET, "me/certificates", access: .anyOf([.candidate]), use: mine)
        r.endpoint(.GET, "me/certificates/:number/pdf", access: .anyOf([.candidate]), use: minePDF)
        r.endpoint(.GET, "me/certificates/:number/credential", access: .anyOf([.candidate]), use: mineCredential)
        r.endpoint(.GET, "verify", access: .everyone, use: verifyPage)
        r.endpoint(.GET, "verify/:number", access: .everyone, use: verifyNumber)
        r.endpoint(.GET, ".well-known/jwks.json", access: .everyone, use: jwks)
        r.endpoint(.GET, "credentials/status/:purpose", access: .everyone, use: statusList)
        r.endpoint(.GET, "api/v1/certificates", access: .anyOf(staff),
                   api: APIDoc("Issued certificates, newest first; search by number or name", tag: "certificates", response: "CertificatePage",
                               query: [.init("q", "string", "A certificate number or a name"), .init("status", "string", "valid, suspended or revoked"),
                                       .init("page", "integer", "Page (from 1)", minimum: 1), .init("perPage", "integer", "Per page", minimum: 1, maximum: 200)],
                               errors: [400]),
                   use: apiList)
        r.endpoint(.GET, "api/v1/public/certificates/:number", access: .everyone,
                   api: APIDoc("Public verification of one certificate: its status, masked holder details and the signed credential", tag: "public",
                               response: "PublicCertificate", errors: [404, 429]),
                   use: apiVerify)
        r.endpoint(.GET, "api/v1/public/certificates", access: .everyone,
                   api: APIDoc("Public search by name and full ID number", tag: "public", response: "PublicCertificateList",
                               query: [.init("name", "string", required: true, "The holder's name"),
                                       .init("idNumber", "string", required: true, "The holder's full ID number")],
                               errors: [400, 429]),
                   use: apiSearch)
    }

    static func links(_ req: Request) -> CertificateStore.Links { .init(base: req.config.publicBaseURL) }

    static func signer(_ req: Request) throws -> CredentialSigner {
        guard let signer = req.application.credentialSigner else { _ = try req.sealer(); throw DomainError.notFound(what: "signer") }
        return signer
    }

    static func certificate(_ req: Request) async throws -> CertificateRecord {
        guard let number = req.parameters.get("number"), let c = try await CertificateStore.find(number: number, on: req.db) else {
            throw DomainError.notFound(what: "certificate")
        }
        return c
    }

    static func statusBadge(_ req: Request, _ c: CertificateRecord) -> String {
        let cls = c.statusValue == .valid ? "ok" : "bad"
        return "<span class=\"badge \(cls)\" id=\"status\">\(req.tr(c.statusValue.nameZH, c.status))</span>"
    }

    // MARK: Staff

    @Sendable static func list(req: Request) async throws -> Response {
        let paging = try Paging(req)
        let q = req.query[String.self, at: "q"] ?? ""
        let status = req.query[String.self, at: "status"].flatMap(CertificateStatus.init(rawValue:))
        let (items, total) = try await CertificateStore.list(planID: nil, status: status, query: q, page: paging.page, perPage: paging.perPage, on: req.db)
        let rows = items.map { c in
            "<tr><td class=\"mono\"><a href=\"/certificates/\(c.number)\">\(c.number)</a></td><td>\(esc(c.fullName))</td><td class=\"mono\">\(esc(c.idMasked))</td>"
                + "<td>\(esc(c.occupationName)) \(Level(c.level).fullName)</td><td>\(esc(c.issueDate))</td><td>\(statusBadge(req, c))</td><td>\(c.printSerial)</td></tr>"
        }.joined()
        let plans = try await PublicityRecord.query(on: req.db).filter(\.$finalizedAt != nil).all()
        let titles = try await StoredPlan.query(on: req.db).filter(\.$id ~~ plans.map(\.planID)).all()
        let planLinks = titles.map { "<a href=\"/plans/\($0.id!.uuidString)/certificates\">\(esc($0.title))</a>" }.joined(separator: " · ")
        let statusOptions = [("", req.tr("全部", "All"))] + CertificateStatus.allCases.map { ($0.rawValue, req.tr($0.nameZH, $0.rawValue)) }
        return Layout.page(req, title: req.tr("证书", "Certificates"), active: "/certificates", """
            \(H.notice(req))
            <p>\(req.tr("已确认成绩的计划（颁发与打印）", "Plans with final results (issue and print)"))：\(planLinks.isEmpty ? req.tr("暂无", "none") : planLinks)</p>
            <form method="get" class="filters">\(H.field(req.tr("证书编号或姓名", "Number or name"), name: "q", value: q, req: req))
            \(H.select(req.tr("状态", "Status"), name: "status", options: statusOptions, selected: status?.rawValue ?? "", req: req))
            <button type="submit" class="secondary">\(req.tr("查找", "Search"))</button></form>
            <table id="certificates"><thead><tr><th>\(req.tr("证书编号", "Number"))</th><th>\(req.tr("姓名", "Name"))</th><th>\(req.tr("证件号码", "ID"))</th>
            <th>\(req.tr("职业与等级", "Occupation and level"))</th><th>\(req.tr("发证日期", "Issued"))</th><th>\(req.tr("状态", "Status"))</th><th>\(req.tr("印制序号", "Print"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"7\" class=\"muted\">\(req.tr("暂无证书", "No certificates"))</td></tr>" : rows)</tbody></table>
            \(H.pager(req, page: paging.page, perPage: paging.perPage, total: total))
            """)
    }

    @Sendable static func show(req: Request) async throws -> Response {
        let c = try await certificate(req)
        let events = try await CertificateStore.events(c, on: req.db)
        let names = Dictionary(try await User.query(on: req.db).filter(\.$id ~~ events.compactMap(\.byUser)).all().map { ($0.id!, $0.displayName) },
                               uniquingKeysWith: { a, _ in a })
        let rows = events.map { e in
            "<tr><td>\(H.time(e.at))</td><td>\(req.tr(e.kindValue.nameZH, e.kind))</td><td>\(esc(e.detail))</td><td>\(esc(e.reason))</td><td>\(esc(e.byUser.flatMap { names[$0] } ?? ""))</td></tr>"
        }.joined()
        let n = c.number
        let kinds = [CertificateEvent.Kind.collected, .mailed, .electronic].map { ($0.rawValue, req.tr($0.nameZH, $0.rawValue)) }
        let statusForms = c.statusValue == .revoked ? "" : """
            <form method="post" action="/certificates/\(n)/status" class="filters" data-confirm="\(req.tr("确认更改证书状态？", "Change the status?"))">\(H.csrf(req))
            \(H.select(req.tr("新状态", "New status"), name: "status", options: CertificateStatus.allCases.filter { $0.rawValue != c.status }.map { ($0.rawValue, req.tr($0.nameZH, $0.rawValue)) }, selected: "", req: req))
            \(H.field(req.tr("原因", "Reason"), name: "reason", required: true, req: req))<button type="submit" id="change-status">\(req.tr("更改", "Change"))</button></form>
            <form method="post" action="/certificates/\(n)/replace" class="filters" data-confirm="\(req.tr("补发证书（编号不变，印制序号加一）？", "Replace (same number, next print serial)?"))">\(H.csrf(req))
            \(H.field(req.tr("补发原因", "Why replaced"), name: "replaceReason", required: true, req: req))<button type="submit" id="replace" class="secondary">\(req.tr("补发", "Replace"))</button></form>
            """
        return Layout.page(req, title: req.tr("证书 \(n)", "Certificate \(n)"), active: "/certificates", """
            \(H.notice(req))
            <p>\(statusBadge(req, c))\(c.statusReason.map { " · " + esc($0) } ?? "") · <a href="/certificates/\(n)/pdf" id="pdf">\(req.tr("打印 PDF", "PDF"))</a>
             · <a href="/certificates/\(n)/pdf?lang=bilingual">\(req.tr("中英文版", "Chinese–English"))</a> · <a href="/verify/\(n)">\(req.tr("公开验证页", "Public page"))</a></p>
            <table><tbody>
            <tr><th>\(req.tr("姓名", "Name"))</th><td>\(esc(c.fullName))</td></tr><tr><th>\(req.tr("证件", "ID"))</th><td>\(esc(c.idTypeName)) \(esc(c.idMasked))</td></tr>
            <tr><th>\(req.tr("职业（工种）", "Occupation"))</th><td>\(esc(c.occupationName))（\(esc(c.workType))）</td></tr><tr><th>\(req.tr("等级", "Level"))</th><td>\(Level(c.level).fullName)</td></tr>
            <tr><th>\(req.tr("发证日期", "Issued"))</th><td>\(esc(c.issueDate))</td></tr><tr><th>\(req.tr("评价机构", "Body"))</th><td>\(esc(c.bodyName))</td></tr>
            <tr><th>\(req.tr("印制序号", "Print serial"))</th><td id="print-serial">\(c.printSerial)</td></tr></tbody></table>
            <h2>\(req.tr("发放登记", "Distribution"))</h2>
            <form method="post" action="/certificates/\(n)/distribute" class="filters">\(H.csrf(req))
            \(H.select(req.tr("方式", "How"), name: "kind", options: kinds, selected: "", req: req))
            \(H.field(req.tr("领取人/快递单号", "Collected by / tracking number"), name: "detail", req: req))<button type="submit">\(req.tr("登记", "Record"))</button></form>
            <h2>\(req.tr("状态与补发", "Status and replacement"))</h2>\(statusForms)
            <h2>\(req.tr("记录", "History"))</h2>
            <table id="events"><thead><tr><th>\(req.tr("时间", "When"))</th><th>\(req.tr("事项", "What"))</th><th>\(req.tr("说明", "Detail"))</th><th>\(req.tr("原因", "Reason"))</th><th>\(req.tr("经办人", "By"))</th></tr></thead><tbody>\(rows)</tbody></table>
            """)
    }

    @Sendable static func distribute(req: Request) async throws -> Response {
        let c = try await certificate(req)
        struct Form: Content { var kind: String?; var detail: String? }
        let f = try req.content.decode(Form.self)
        guard let kind = f.kind.flatMap(CertificateEvent.Kind.init(rawValue:)) else {
            throw ValidationFailure([FieldError(code: "invalid_kind", field: "kind", zh: "请选择发放方式", en: "choose how")])
        }
        try await CertificateStore.distribute(c, kind: kind, detail: f.detail ?? "", actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/certificates/\(c.number)?done=" + req.tr("已登记：\(kind.nameZH)", "Recorded").urlQueryEncoded)
    }

    @Sendable static func replace(req: Request) async throws -> Response {
        let c = try await certificate(req)
        struct Form: Content { var replaceReason: String? }
        let r = try await CertificateStore.replace(c, reason: try req.content.decode(Form.self).replaceReason ?? "", actor: try req.requireUser().actor,
                                                   on: req.db, time: req.time)
        return req.redirect(to: "/certificates/\(c.number)?done=" + req.tr("已补发，印制序号 \(r.printSerial)", "Replaced: print \(r.printSerial)").urlQueryEncoded)
    }

    @Sendable static func changeStatus(req: Request) async throws -> Response {
        let c = try await certificate(req)
        struct Form: Content { var status: String?; var reason: String? }
        let f = try req.content.decode(Form.self)
        guard let status = f.status.flatMap(CertificateStatus.init(rawValue:)) else {
            throw ValidationFailure([FieldError(code: "invalid_status", field: "status", zh: "请选择状态", en: "choose a status")])
        }
        try await CertificateStore.setStatus(c, to: status, reason: f.reason ?? "", actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/certificates/\(c.number)?done=" + req.tr("状态已改为：\(status.nameZH)", "Now \(status.rawValue)").urlQueryEncoded)
    }

    // MARK: Issuing a plan's certificates

    /// Batches under way, by plan: done and total, or the error that stopped one.
    static let issuing = JobBoard<UUID>()

    static func plan(_ req: Request) async throws -> StoredPlan {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)), let plan = try await StoredPlan.find(id, on: req.db) else {
            throw DomainError.notFound(what: "plan")
        }
        return plan
    }

    @Sendable static func planPage(req: Request) async throws -> Response {
        let plan = try await plan(req)
        let pid = try plan.requireID()
        let pending = try await CertificateStore.pending(planID: pid, on: req.db).count
        let issued = try await CertificateRecord.query(on: req.db).filter(\.$planID == pid).count()
        let final = try await PublicityRecord.query(on: req.db).filter(\.$planID == pid).filter(\.$finalizedAt != nil).count() > 0
        var progress = ""
        var refresh = ""
        let state = await issuing.state(pid)
        if let s = state {
            if s.running {
                refresh = "<meta http-equiv=\"refresh\" content=\"1\">"
                progress = "<p id=\"progress\"><progress max=\"\(max(s.total, 1))\" value=\"\(s.done)\"></progress> \(req.tr("正在颁发：\(s.done) / \(s.total)", "Issuing: \(s.done) of \(s.total)"))</p>"
            } else if let error = s.error {
                progress = "<div class=\"alert alert-error\" id=\"progress\">\(esc(error))</div>"
            } else {
                progress = "<div class=\"alert alert-ok\" id=\"progress\">\(req.tr("已颁发 \(s.done) 本证书", "\(s.done) certificates issued"))</div>"
            }
        }
        let form = final && pending > 0 && !(state?.running ?? false) ? """
            <form method="post" action="/plans/\(pid.uuidString)/certificates/issue" data-confirm="\(req.tr("为 \(pending) 名合格人员颁发证书？", "Issue \(pending) certificates?"))">\(H.csrf(req))
            <button type="submit" id="issue">\(req.tr("颁发证书（\(pending) 人）", "Issue certificates (\(pending))"))</button></form>
            """ : final ? "" : "<p class=\"muted\">\(req.tr("公示结束、成绩确认后才能颁发证书。", "Certificates are issued once publicity has ended and results are final."))</p>"
        let response = Layout.page(req, title: req.tr("证书：\(plan.title)", "Certificates: \(plan.title)"), active: "/certificates", """
            \(refresh)\(H.notice(req))\(progress)
            <p>\(req.tr("已颁发 \(issued) 本；待颁发 \(pending) 人。", "\(issued) issued; \(pending) waiting."))
            <a href="/certificates?q=">\(req.tr("证书列表", "All certificates"))</a> · <a href="/plans/\(pid.uuidString)/certificates/batch.pdf" id="batch-pdf">\(req.tr("批量打印 PDF", "Print batch PDF"))</a>
             · <a href="/plans/\(pid.uuidString)/certificates/national.xlsx" id="national-xlsx">\(req.tr("全国联网数据（XLSX）", "National data (XLSX)"))</a>
             · <a href="/plans/\(pid.uuidString)/certificates/national.csv">CSV</a></p>
            \(form)
            \(try await reservations(req, planID: pid, running: state?.running ?? false))
            """)
        return response
    }

    /// The serials each issuing run of the plan reserved, and those it did not use with the reason: the record that
    /// explains every gap in the numbering. While this server issues for the plan, the open reservation is shown as in
    /// progress (the page refreshes every second) rather than counted.
    static func reservations(_ req: Request, planID: UUID, running: Bool) async throws -> String {
        let runs = try await CertificateReservation.query(on: req.db).filter(\.$planID == planID).filter(\.$kind == "serial")
            .sort(\.$reservedAt, .descending).sort(\.$prefix).all()
        guard !runs.isEmpty else { return "" }
        var rows = ""
        for r in runs {
            let range = "\(r.prefix)\(CertificateNumber.digits(r.first, 6)) – \(CertificateNumber.digits(r.last, 6))"
            let outcome: String
            if r.closedAt == nil && running {
                outcome = req.tr("签发进行中", "Issuing in progress")
            } else if r.closedAt == nil {
                let unused = try await CertificateStore.unusedSerials(r, on: req.db)
                outcome = req.tr("未记录结束（签发进行中，或签发进程中断）；目前未用 \(unused.count) 个：", "No end recorded (issuing in progress, or its process stopped); unused so far \(unused.count): ")
                    + esc(SerialRanges.text(unused))
            } else if (r.unusedCount ?? 0) == 0 {
                outcome = req.tr("已全部使用", "All used")
            } else {
                outcome = req.tr("未用 \(r.unusedCount ?? 0) 个：", "\(r.unusedCount ?? 0) unused: ") + "<span class=\"mono\">\(esc(r.unused ?? ""))</span> — \(esc(r.reason ?? ""))"
            }
            rows += "<tr><td>\(H.time(r.reservedAt))</td><td class=\"mono\">\(range)</td><td>\(r.last - r.first + 1)</td><td>\(outcome)</td></tr>"
        }
        return """
            <h2>\(req.tr("编号预留记录", "Reserved serials"))</h2>
            <p class="muted">\(req.tr("每次颁发先按站点与等级预留序号；未用的序号作废不再使用，并记录原因。", "Each issuing run first reserves serials per site and level; any it does not use are never used again, and the reason is recorded."))</p>
            <table id="reservations"><thead><tr><th>\(req.tr("预留时间", "Reserved"))</th><th>\(req.tr("编号范围", "Numbers"))</th><th>\(req.tr("数量", "Count"))</th>
            <th>\(req.tr("使用情况", "Outcome"))</th></tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    @Sendable static func issue(req: Request) async throws -> Response {
        let plan = try await plan(req)
        let pid = try plan.requireID()
        let sealer = try req.sealer()
        let signer = try signer(req)
        let actor = try req.requireUser().actor
        guard await issuing.start(pid) else { return req.redirect(to: "/plans/\(pid.uuidString)/certificates") }
        // Fail early with the reason on the page (not final, no body) rather than inside the background task.
        guard try await PublicityRecord.query(on: req.db).filter(\.$planID == pid).filter(\.$finalizedAt != nil).count() > 0 else {
            await issuing.update(pid) { $0.running = false; $0.error = "公示结束、成绩确认后才能颁发证书" }
            return req.redirect(to: "/plans/\(pid.uuidString)/certificates")
        }
        let db = req.db, time = req.time, links = links(req), logger = req.logger
        let reads = req.application.database(besides: db)
        Task {
            do {
                let issued = try await CertificateStore.issue(planID: pid, actor: actor, sealer: sealer, signer: signer, links: links, on: db, reads: reads,
                                                              time: time) { p in
                    await issuing.update(pid) { $0.done = p.done; $0.total = p.total }
                }
                await issuing.update(pid) { $0.running = false; $0.done = issued.count }
            } catch {
                logger.error("issuing certificates for plan \(pid) failed: \(String(reflecting: error))")
                let message: String
                switch error {
                case DomainError.conflict(_, let zh, _): message = zh
                default: message = "颁发中断，已颁发的证书保留；请重试（\(error)）"
                }
                await issuing.update(pid) { $0.running = false; $0.error = message }
            }
        }
        return req.redirect(to: "/plans/\(pid.uuidString)/certificates")
    }

    // MARK: PDFs

    static func printed(_ c: CertificateRecord, req: Request, bilingual: Bool = false) async throws -> PrintedCertificate {
        let sealer = try req.sealer()
        let idNumber = String(decoding: try sealer.open(c.idCipher, context: "certificate-id:\(c.id!.uuidString)"), as: UTF8.self)
        var photo: AdmissionTicket.Photo?
        if let key = c.photoKey, let data = try await req.application.fileStore.get(key), let kind = ContentKind.sniff(data) {
            photo = .init(data: data, isJPEG: kind == .jpeg)
        }
        return PrintedCertificate(number: c.number, printSerial: c.printSerial, name: c.fullName, idType: c.idTypeName, idNumber: idNumber,
                                  occupation: c.occupationName, workType: c.workType, level: Level(c.level).fullName, levelEnglish: Level(c.level).englishName,
                                  bodyName: c.bodyName, issueDate: c.issueDate, photo: photo, verifyURL: links(req).verify(c.number), bilingual: bilingual)
    }

    static func pdfResponse(_ data: Data, filename: String) -> Response {
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "pdf")
        response.headers.contentDisposition = .init(.inline, filename: filename)
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    @Sendable static func staffPDF(req: Request) async throws -> Response {
        let c = try await certificate(req)
        let data = try CertificatePDF.render([try await printed(c, req: req, bilingual: req.query[String.self, at: "lang"] == "bilingual")])
        try await AuditLog.record(AuditEvent(action: "certificate.print", targetType: "certificate", targetID: c.number, details: "print \(c.printSerial)"),
                                  on: req.db, actor: try req.requireUser().actor, time: req.time)
        return pdfResponse(data, filename: "\(c.number).pdf")
    }

    @Sendable static func batchPDF(req: Request) async throws -> Response {
        let plan = try await plan(req)
        let all = try await CertificateRecord.query(on: req.db).filter(\.$planID == plan.requireID()).filter(\.$status != CertificateStatus.revoked.rawValue)
            .sort(\.$number).all()
        var pages: [PrintedCertificate] = []
        for c in all { pages.append(try await printed(c, req: req)) }
        let data = try CertificatePDF.render(pages)
        try await AuditLog.record(AuditEvent(action: "certificate.print-batch", targetType: "plan", targetID: plan.id!.uuidString, details: "\(pages.count) certificates"),
                                  on: req.db, actor: try req.requireUser().actor, time: req.time)
        return pdfResponse(data, filename: "certificates-\(plan.number).pdf")
    }

    // MARK: National export

    /// The columns of the data set the province uploads (docs/formats/national-export.md).
    static let nationalColumns = ["证书编号", "姓名", "证件类型", "证件号码", "职业编码", "职业名称", "工种", "等级", "发证日期", "评价机构名称",
                                  "评价机构代码", "站点代码", "证书状态"]

    static func nationalRows(_ req: Request) async throws -> (StoredPlan, [[String]]) {
        let plan = try await plan(req)
        let sealer = try req.sealer()
        let body = try await BodyStore.load(on: req.db)
        let all = try await CertificateRecord.query(on: req.db).filter(\.$planID == plan.requireID()).sort(\.$number).all()
        let rows = try all.map { c -> [String] in
            let id = String(decoding: try sealer.open(c.idCipher, context: "certificate-id:\(c.id!.uuidString)"), as: UTF8.self)
            return [c.number, c.fullName, c.idTypeName, id, c.occupationCode, c.occupationName, c.workType, Level(c.level).fullName, c.issueDate,
                    c.bodyName, (body.map { $0.type.rawValue + $0.code }) ?? "", c.siteCode, c.statusValue.nameZH]
        }
        try await AuditLog.record(AuditEvent(action: "certificate.national-export", targetType: "plan", targetID: plan.id!.uuidString,
                                             details: "\(rows.count) certificates with full ID numbers"),
                                  on: req.db, actor: try req.requireUser().actor, time: req.time)
        return (plan, rows)
    }

    @Sendable static func nationalXLSX(req: Request) async throws -> Response {
        let (plan, rows) = try await nationalRows(req)
        return try xlsxResponse(Worksheet(name: "证书数据", header: nationalColumns, rows: rows.map { $0.map(CellValue.text) }), filename: "national-\(plan.number).xlsx")
    }

    @Sendable static func nationalCSV(req: Request) async throws -> Response {
        let (plan, rows) = try await nationalRows(req)
        func cell(_ s: String) -> String { s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        let text = "\u{FEFF}" + ([nationalColumns] + rows).map { $0.map(cell).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        let response = Response(status: .ok, body: .init(string: text))
        response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        response.headers.contentDisposition = .init(.attachment, filename: "national-\(plan.number).csv")
        return response
    }

    // MARK: The candidate

    @Sendable static func mine(req: Request) async throws -> Response {
        let me = try req.requireUser()
        let all = try await CertificateRecord.query(on: req.db).filter(\.$candidateID == me.id).sort(\.$issuedAt, .descending).all()
        let rows = all.map { c in
            "<tr><td class=\"mono\">\(c.number)</td><td>\(esc(c.occupationName)) \(Level(c.level).fullName)</td><td>\(esc(c.issueDate))</td><td>\(statusBadge(req, c))</td>"
                + "<td><a href=\"/me/certificates/\(c.number)/pdf\">PDF</a> · <a href=\"/me/certificates/\(c.number)/credential\" class=\"credential\">\(req.tr("电子证书（可验证凭证）", "Verifiable credential"))</a> · <a href=\"/verify/\(c.number)\">\(req.tr("验证", "Verify"))</a></td></tr>"
        }.joined()
        return Layout.page(req, title: req.tr("我的证书", "My certificates"), active: "/me/certificates", """
            <p>\(req.tr("电子证书是由本机构签名的可验证凭证（JWT），任何人可用本站公布的公钥验证，无需联系本机构。", "The electronic certificate is a credential signed by the body; anyone can verify it with the published keys."))</p>
            <table id="my-certificates"><thead><tr><th>\(req.tr("证书编号", "Number"))</th><th>\(req.tr("职业与等级", "Occupation and level"))</th><th>\(req.tr("发证日期", "Issued"))</th><th>\(req.tr("状态", "Status"))</th><th></th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">\(req.tr("暂无证书", "None yet"))</td></tr>" : rows)</tbody></table>
            """)
    }

    static func own(_ req: Request) async throws -> CertificateRecord {
        let c = try await certificate(req)
        guard c.candidateID == (try req.requireUser().id) else { throw DomainError.notFound(what: "certificate") }
        return c
    }

    @Sendable static func minePDF(req: Request) async throws -> Response {
        let c = try await own(req)
        return pdfResponse(try CertificatePDF.render([try await printed(c, req: req)]), filename: "\(c.number).pdf")
    }

    @Sendable static func mineCredential(req: Request) async throws -> Response {
        let c = try await own(req)
        let response = Response(status: .ok, body: .init(string: c.credential))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "vc+jwt")
        response.headers.contentDisposition = .init(.attachment, filename: "\(c.number).jwt")
        return response
    }

    // MARK: Public

    /// Counts a public lookup against the address's allowance; past it, a 429 that says when to try again.
    static func throttle(_ req: Request) throws {
        try req.application.verifyThrottle.charge(req, code: "too_many_lookups", zh: { "查询过于频繁，请 \($0) 秒后再试" },
                                                   en: { "too many lookups; try again in \($0) seconds" })
    }

    static func cacheable(_ response: Response) -> Response {
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        return response
    }

    @Sendable static func verifyPage(req: Request) async throws -> Response {
        var result = ""
        if let name = req.query[String.self, at: "name"], let id = req.query[String.self, at: "idNumber"], !name.isEmpty, !id.isEmpty {
            try throttle(req)
            let sealer = try req.sealer()
            let found = try await req.publicRead { try await CertificateStore.search(name: name, idNumber: id, sealer: sealer, on: $0) }
            result = found.isEmpty ? "<p class=\"alert alert-error\" id=\"result\">\(req.tr("未查到证书", "No certificate found"))</p>"
                : "<ul id=\"result\">" + found.map { "<li><a href=\"/verify/\($0.number)\">\($0.number)</a> \(esc($0.occupationName)) \(Level($0.level).fullName)</li>" }.joined() + "</ul>"
        }
        return Layout.page(req, title: req.tr("证书查询验证", "Verify a certificate"), """
            <p>\(req.tr("输入证书编号，或姓名与完整证件号码，查询本机构颁发的职业技能等级证书。", "Enter a certificate number, or a name with the full ID number."))</p>
            <form method="get" action="/verify/lookup" class="filters" id="by-number">\(H.field(req.tr("证书编号", "Certificate number"), name: "number", req: req, attrs: "pattern=\"[YS][0-9]{21}\""))<button type="submit">\(req.tr("查询", "Look up"))</button></form>
            <form method="get" action="/verify" class="filters" id="by-name">\(H.field(req.tr("姓名", "Name"), name: "name", req: req))\(H.field(req.tr("证件号码", "ID number"), name: "idNumber", req: req, attrs: "autocomplete=\"off\""))<button type="submit">\(req.tr("查询", "Look up"))</button></form>
            \(result)
            """)
    }

    @Sendable static func verifyNumber(req: Request) async throws -> Response {
        // The number form submits to /verify/lookup?number=…
        if req.parameters.get("number") == "lookup" {
            return req.redirect(to: "/verify/" + (req.query[String.self, at: "number"] ?? "").trimmingCharacters(in: .whitespaces).uppercased())
        }
        try throttle(req)
        let number = req.parameters.get("number") ?? ""
        guard let c = try await req.publicRead({ try await CertificateStore.find(number: number, on: $0) }) else {
            let response = Layout.page(req, title: req.tr("证书查询验证", "Verify a certificate"),
                                       "<p class=\"alert alert-error\" id=\"status\">\(req.tr("未查到编号为 \(esc(number)) 的证书", "No certificate \(esc(number))"))</p>")
            response.status = .notFound
            return response
        }
        let response = Layout.page(req, title: req.tr("证书查询验证", "Verify a certificate"), """
            <p>\(req.tr("证书状态", "Status"))：\(statusBadge(req, c))</p>
            <table id="certificate"><tbody>
            <tr><th>\(req.tr("证书编号", "Number"))</th><td class="mono">\(c.number)</td></tr><tr><th>\(req.tr("姓名", "Name"))</th><td>\(esc(c.fullName))</td></tr>
            <tr><th>\(req.tr("证件号码", "ID number"))</th><td class="mono">\(esc(c.idMasked))</td></tr><tr><th>\(req.tr("职业（工种）", "Occupation"))</th><td>\(esc(c.occupationName))（\(esc(c.workType))）</td></tr>
            <tr><th>\(req.tr("等级", "Level"))</th><td>\(Level(c.level).fullName)</td></tr><tr><th>\(req.tr("发证日期", "Issued"))</th><td>\(esc(c.issueDate))</td></tr>
            <tr><th>\(req.tr("评价机构", "Certification body"))</th><td>\(esc(c.bodyName))</td></tr></tbody></table>
            <p class="muted">\(req.tr("电子证书为签名的可验证凭证；公钥见", "The credential verifies with the keys at")) <a href="/.well-known/jwks.json">/.well-known/jwks.json</a>。</p>
            """)
        return cacheable(response)
    }

    struct PublicCertificate: Content {
        var number: String
        var status: String
        var name: String
        var maskedIdNumber: String
        var occupation: String
        var workType: String
        var level: String
        var issueDate: String
        var body: String
        var credential: String

        init(_ c: CertificateRecord) {
            self.init(CertificateStore.PublicView(c))
        }

        /// The same members `Codable` writes.
        var json: String {
            let s = JSONText.string
            return #"{"number":\#(s(number)),"status":\#(s(status)),"name":\#(s(name)),"maskedIdNumber":\#(s(maskedIdNumber)),"occupation":\#(s(occupation)),"#
                + #""workType":\#(s(workType)),"level":\#(s(level)),"issueDate":\#(s(issueDate)),"body":\#(s(body)),"credential":\#(s(credential))}"#
        }

        init(_ c: CertificateStore.PublicView) {
            number = c.number
            status = c.status
            name = c.fullName
            maskedIdNumber = c.idMasked
            occupation = c.occupationName
            workType = c.workType
            level = Level(c.level).fullName
            issueDate = c.issueDate
            body = c.bodyName
            credential = c.credential
        }
    }

    @Sendable static func apiVerify(req: Request) async throws -> Response {
        try throttle(req)
        let number = req.parameters.get("number") ?? ""
        guard let c = try await req.publicRead({ try await CertificateStore.publicView(number: number, direct: req.application.sqliteDirectReads, on: $0) }) else {
            throw WebError(.notFound, code: "not_found", zh: "未查到证书", en: "no such certificate")
        }
        // The JSON written directly (the route anyone may call; JSONEncoder was a tenth of its time).
        let response = Response(status: .ok, body: .init(string: PublicCertificate(c).json))
        response.headers.contentType = .json
        return cacheable(response)
    }

    struct PublicList: Content { var items: [PublicCertificate] }

    @Sendable static func apiSearch(req: Request) async throws -> PublicList {
        guard let name = req.query[String.self, at: "name"], !name.isEmpty else { throw WebError.badField("name", code: "required", zh: "请填写姓名", en: "name is required") }
        guard let id = req.query[String.self, at: "idNumber"], !id.isEmpty else {
            throw WebError.badField("idNumber", code: "required", zh: "请填写证件号码", en: "idNumber is required")
        }
        try throttle(req)
        let sealer = try req.sealer()
        let found = try await req.publicRead { try await CertificateStore.search(name: name, idNumber: id, sealer: sealer, on: $0) }
        return PublicList(items: found.map(PublicCertificate.init))
    }

    @Sendable static func jwks(req: Request) async throws -> Response {
        let response = Response(status: .ok, body: .init(string: try await CredentialSigner.jwks(on: req.db)))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "jwk-set+json")
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        return response
    }

    /// The W3C Bitstring Status List credential of a purpose, signed like the certificates.
    @Sendable static func statusList(req: Request) async throws -> Response {
        guard let purpose = req.parameters.get("purpose"), ["revocation", "suspension"].contains(purpose) else { throw DomainError.notFound(what: "status list") }
        let bits = try await CertificateStore.statusBits(purpose: purpose, on: req.db)
        let encoded = "u" + CredentialSigner.base64url(try Gzip.compress(bits))
        let body = try await BodyStore.load(on: req.db)
        let links = links(req)
        let now = ISO8601DateFormatter().string(from: req.time.now())
        let jwt = try await signer(req).signStatusList(id: links.statusList(purpose), issuer: links.base, issuerName: body?.name ?? "", purpose: purpose,
                                                       encodedList: encoded, validFrom: now, on: req.db, time: req.time)
        let response = Response(status: .ok, body: .init(string: jwt))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "vc+jwt")
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=60")
        return response
    }

    // MARK: API

    struct CertificatePage: Content { var items: [PublicCertificate]; var total: Int; var page: Int; var perPage: Int }

    @Sendable static func apiList(req: Request) async throws -> CertificatePage {
        let paging = try Paging(req)
        let status = try req.query[String.self, at: "status"].map { value -> CertificateStatus in
            guard let s = CertificateStatus(rawValue: value) else { throw WebError.badField("status", zh: "状态应为 valid、suspended 或 revoked", en: "status is valid, suspended or revoked") }
            return s
        }
        let (items, total) = try await CertificateStore.list(planID: nil, status: status, query: req.query[String.self, at: "q"] ?? "",
                                                             page: paging.page, perPage: paging.perPage, on: req.db)
        return CertificatePage(items: items.map(PublicCertificate.init), total: total, page: paging.page, perPage: paging.perPage)
    }
}
