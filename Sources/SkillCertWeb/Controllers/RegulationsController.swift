import Fluent
import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// The body's rule documents (制度建设): versions with effective dates for staff at `/regulations`, and the
/// versions in effect of the public ones at `/rules`.
enum RegulationsController {
    /// Coordination keeps the documents; leadership and administrators too.
    static let editors: Set<Role> = [.coordination, .leadership, .administrator]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "regulations", access: .anyOf(Roles.staff), use: list)
        r.endpoint(.POST, "regulations", access: .anyOf(editors), use: create)
        r.endpoint(.GET, "regulations/:id", access: .anyOf(Roles.staff), use: detail)
        r.endpoint(.POST, "regulations/:id", access: .anyOf(editors), use: update)
        r.endpoint(.POST, "regulations/:id/versions", access: .anyOf(editors), body: .collect(maxSize: "60mb"), use: addVersion)
        r.endpoint(.GET, "regulations/:id/versions/:vid/file", access: .anyOf(Roles.staff), use: staffFile)
        r.endpoint(.GET, "rules", access: .everyone, use: publicRules)
        r.endpoint(.GET, "rules/:id/file", access: .everyone, use: publicFile)
    }

    static func isEditor(_ req: Request) -> Bool {
        !(req.signedIn?.roles ?? []).isDisjoint(with: editors)
    }

    static func settingChecks(_ selected: [SettingKey], _ req: Request) -> String {
        "<fieldset><legend>\(req.tr("本制度确定的规则参数", "Settings this document fixes"))</legend>"
            + SettingKey.allCases.map { k in
                "<label><input type=\"checkbox\" name=\"settingKeys[]\" value=\"\(k.rawValue)\"\(selected.contains(k) ? " checked" : "")> \(esc(req.tr(k.labelZH, k.labelEN)))</label>"
            }.joined(separator: "<br>") + "</fieldset>"
    }

    /// State of a version on `today`: in effect, superseded or not yet in effect.
    static func state(_ v: StoredRegulationVersion, current: StoredRegulationVersion?, today: LocalDate, _ req: Request) -> String {
        if v.id == current?.id { return "<span class=\"badge ok\">\(req.tr("现行有效", "in effect"))</span>" }
        if v.effective > today { return "<span class=\"badge\">\(req.tr("待生效", "upcoming"))</span>" }
        return "<span class=\"badge muted\">\(req.tr("已废止", "superseded"))</span>"
    }

    struct DocumentForm: Content {
        var title: String?
        var isPublic: String?
        var settingKeys: [String]?
    }

    /// Every document with the version in effect today.
    @Sendable static func list(req: Request) async throws -> Response {
        try await renderList(req, form: DocumentForm(), errors: [])
    }

    static func renderList(_ req: Request, form f: DocumentForm, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let today = req.time.now().chinaLocalDate
        let documents = try await RegulationStore.documents(on: req.db)
        let rows = documents.map { d in
            let current = d.inEffect(on: today)
            let next = d.versions.last { $0.effective > today }
            return "<tr><td><a href=\"/regulations/\(d.regulation.id!.uuidString)\">《\(esc(d.regulation.title))》</a></td>"
                + "<td>\(current.map { "\(esc($0.label))（\(esc($0.effectiveOn)) \(req.tr("起施行", "on"))）" } ?? req.tr("尚无生效版本", "none in effect"))</td>"
                + "<td>\(next.map { "\(esc($0.label))（\(esc($0.effectiveOn))）" } ?? "—")</td>"
                + "<td>\(d.regulation.isPublic ? req.tr("公开", "public") : req.tr("内部", "internal"))</td>"
                + "<td>\(d.regulation.settings.map { esc(req.tr($0.labelZH, $0.labelEN)) }.joined(separator: "；"))</td></tr>"
        }.joined()
        let form = isEditor(req) ? """
            <h2>\(req.tr("新增制度", "Add a document"))</h2>
            <form method="post" action="/regulations" id="new-regulation">\(H.csrf(req))
            \(H.field(req.tr("制度名称", "Title"), name: "title", value: f.title ?? "", required: true, errors: errors, req: req))
            <div class="field"><label><input type="checkbox" name="isPublic" value="on"\(f.isPublic == "on" ? " checked" : "")> \(req.tr("对外公开（在 /rules 显示现行版本）", "Public (the version in effect is shown at /rules)"))</label></div>
            \(settingChecks((f.settingKeys ?? []).compactMap(SettingKey.init(rawValue:)), req))
            <div class="actions"><button type="submit">\(req.tr("新增", "Add"))</button></div></form>
            """ : ""
        let response = Layout.page(req, title: req.tr("制度建设", "Regulations"), active: "/regulations", """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <p><a href="/rules">\(req.tr("公开的制度", "Public rules page"))</a></p>
            <table id="regulations"><thead><tr><th>\(req.tr("制度", "Document"))</th><th>\(req.tr("现行版本", "In effect"))</th><th>\(req.tr("待生效版本", "Upcoming"))</th>
            <th>\(req.tr("公开", "Visibility"))</th><th>\(req.tr("确定的规则参数", "Fixes settings"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">\(req.tr("暂无制度", "None yet"))</td></tr>" : rows)</tbody></table>
            \(form)
            """)
        response.status = status
        return response
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let f = try req.content.decode(DocumentForm.self)
        do {
            let r = try await RegulationStore.create(title: f.title ?? "", isPublic: f.isPublic == "on", settingKeys: f.settingKeys ?? [],
                                                     actor: try req.requireUser().actor, on: req.db, time: req.time)
            return req.redirect(to: "/regulations/\(r.id!.uuidString)?done=" + req.tr("已新增，请添加第一个版本", "Added; now add its first version").urlQueryEncoded)
        } catch let failure as ValidationFailure {
            return try await renderList(req, form: f, errors: failure.errors, status: .unprocessableEntity)
        }
    }

    static func regulationID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "regulation") }
        return id
    }

    /// One document: its versions (history kept) and, for editors, the forms to change it and add a version.
    @Sendable static func detail(req: Request) async throws -> Response {
        try await renderDetail(req, errors: [])
    }

    static func renderDetail(_ req: Request, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let d = try await RegulationStore.document(try regulationID(req), on: req.db)
        let id = d.regulation.id!.uuidString
        let today = req.time.now().chinaLocalDate
        let current = d.inEffect(on: today)
        let rows = d.versions.map { v in
            "<tr><td>\(esc(v.label))</td><td>\(esc(v.effectiveOn))</td><td>\(state(v, current: current, today: today, req))</td>"
                + "<td>\(v.fileKey == nil ? "—" : "<a href=\"/regulations/\(id)/versions/\(v.id!.uuidString)/file\">\(esc(v.fileName ?? "PDF"))</a>")</td>"
                + "<td class=\"pre\">\(esc(v.text))</td></tr>"
        }.joined()
        let forms = isEditor(req) ? """
            <h2>\(req.tr("发布新版本", "New version"))</h2>
            <p class="muted">\(req.tr("新版本自生效日期起替代原版本，原版本保留为历史。", "A new version replaces the previous one from its effective date; the old one is kept."))</p>
            <form method="post" action="/regulations/\(id)/versions" enctype="multipart/form-data" id="new-version">\(H.csrf(req))
            \(H.field(req.tr("版本", "Version"), name: "label", required: true, errors: errors, req: req, hint: req.tr("如：2026 年修订版", "e.g. 2026 revision")))
            \(H.field(req.tr("生效日期", "Effective from"), name: "effectiveOn", type: "date", required: true, errors: errors, req: req))
            <div class="field"><label for="f-text">\(req.tr("正文", "Text"))</label><textarea id="f-text" name="text" rows="8"></textarea>\(H.fieldErrors(errors, "text", req))</div>
            <div class="field"><label for="f-file">\(req.tr("PDF 文件（可选）", "PDF file (optional)"))</label><input id="f-file" type="file" name="file" accept="application/pdf">\(H.fieldErrors(errors, "file", req))</div>
            <div class="actions"><button type="submit">\(req.tr("发布", "Publish"))</button></div></form>
            <h2>\(req.tr("公开与规则参数", "Visibility and settings"))</h2>
            <form method="post" action="/regulations/\(id)">\(H.csrf(req))
            <div class="field"><label><input type="checkbox" name="isPublic" value="on"\(d.regulation.isPublic ? " checked" : "")> \(req.tr("对外公开", "Public"))</label></div>
            \(settingChecks(d.regulation.settings, req))
            <div class="actions"><button type="submit" class="secondary">\(req.tr("保存", "Save"))</button></div></form>
            """ : ""
        let response = Layout.page(req, title: "《\(d.regulation.title)》", active: "/regulations", """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <p><a href="/regulations">\(req.tr("返回制度列表", "All documents"))</a> · \(d.regulation.isPublic ? req.tr("对外公开", "public") : req.tr("内部制度", "internal"))</p>
            <table id="versions"><thead><tr><th>\(req.tr("版本", "Version"))</th><th>\(req.tr("生效日期", "Effective"))</th><th>\(req.tr("状态", "State"))</th>
            <th>\(req.tr("文件", "File"))</th><th>\(req.tr("正文", "Text"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">\(req.tr("尚无版本", "No versions yet"))</td></tr>" : rows)</tbody></table>
            \(forms)
            """)
        response.status = status
        return response
    }

    @Sendable static func update(req: Request) async throws -> Response {
        let id = try regulationID(req)
        let f = try req.content.decode(DocumentForm.self)
        try await RegulationStore.update(id, isPublic: f.isPublic == "on", settingKeys: f.settingKeys ?? [], actor: try req.requireUser().actor,
                                         on: req.db, time: req.time)
        return req.redirect(to: "/regulations/\(id.uuidString)?done=" + req.tr("已保存", "Saved").urlQueryEncoded)
    }

    struct VersionForm: Content {
        var label: String?
        var effectiveOn: String?
        var text: String?
        var file: File?
    }

    @Sendable static func addVersion(req: Request) async throws -> Response {
        let id = try regulationID(req)
        _ = try await RegulationStore.find(id, on: req.db)
        let f = try req.content.decode(VersionForm.self)
        let attachment = f.file.flatMap { $0.data.readableBytes > 0 ? RegulationStore.Attachment(fileName: $0.filename, data: Data(buffer: $0.data)) : nil }
        do {
            try await RegulationStore.addVersion(to: id, label: f.label ?? "", effectiveOn: f.effectiveOn ?? "", text: f.text ?? "",
                                                 attachment: attachment, files: req.application.fileStore,
                                                 actor: try req.requireUser().actor, on: req.db, time: req.time)
        } catch let failure as ValidationFailure {
            return try await renderDetail(req, errors: failure.errors, status: .unprocessableEntity)
        }
        return req.redirect(to: "/regulations/\(id.uuidString)?done=" + req.tr("已发布新版本", "Version published").urlQueryEncoded)
    }

    /// A stored PDF, served as a PDF and never sniffed again by the browser.
    static func pdf(_ v: StoredRegulationVersion, _ req: Request) async throws -> Response {
        guard let key = v.fileKey, let data = try await req.application.fileStore.get(key) else { throw DomainError.notFound(what: "file") }
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.replaceOrAdd(name: .contentType, value: ContentKind.pdf.mediaType)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.contentDisposition = .init(.inline, filename: v.fileName ?? "regulation.pdf")
        return response
    }

    @Sendable static func staffFile(req: Request) async throws -> Response {
        let id = try regulationID(req)
        guard let vid = req.parameters.get("vid").flatMap(UUID.init(uuidString:)), let v = try await StoredRegulationVersion.find(vid, on: req.db),
              v.regulationID == id else { throw DomainError.notFound(what: "file") }
        return try await pdf(v, req)
    }

    /// The public documents, each in the version in effect today only.
    @Sendable static func publicRules(req: Request) async throws -> Response {
        let today = req.time.now().chinaLocalDate
        let body = try await BodyStore.load(on: req.db)
        let documents = try await RegulationStore.publicInEffect(on: today, db: req.db)
        let sections = documents.map { r, v in
            "<section class=\"regulation\" id=\"rule-\(r.id!.uuidString)\"><h2>《\(esc(r.title))》</h2>"
                + "<p class=\"muted\">\(esc(v.label)) · \(req.tr("自 \(v.effectiveOn) 起施行", "in effect from \(v.effectiveOn)"))"
                + "\(v.fileKey == nil ? "" : " · <a href=\"/rules/\(r.id!.uuidString)/file\">\(req.tr("下载 PDF", "PDF"))</a>")</p>"
                + H.lines(v.text).map { "<p>\(esc($0))</p>" }.joined() + "</section>"
        }.joined()
        return Layout.page(req, title: req.tr("规章制度", "Rules"), """
            <p>\(esc(body?.name ?? ""))\(req.tr("现行公开的规章制度。", ": the rules in effect."))</p>
            \(sections.isEmpty ? "<p class=\"muted\">\(req.tr("暂无公开的制度", "None published"))</p>" : sections)
            """)
    }

    @Sendable static func publicFile(req: Request) async throws -> Response {
        let d = try await RegulationStore.document(try regulationID(req), on: req.db)
        guard d.regulation.isPublic, let v = d.inEffect(on: req.time.now().chinaLocalDate) else { throw DomainError.notFound(what: "file") }
        return try await pdf(v, req)
    }
}
