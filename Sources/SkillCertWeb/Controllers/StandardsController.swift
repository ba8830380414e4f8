import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// Occupational standards: browse, import and export YAML, edit drafts, put editions in use and supersede them.
enum StandardsController {
    static let editors: Set<Role> = [.administrator, .itemExaminer, .coordination]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "standards", access: .anyOf(Roles.staff), use: list)
        r.endpoint(.POST, "standards/import", access: .anyOf(editors), body: .collect(maxSize: "4mb"), use: importDocument)
        r.endpoint(.GET, "standards/:id", access: .anyOf(Roles.staff), use: show)
        r.endpoint(.GET, "standards/:id/export.yaml", access: .anyOf(Roles.staff), use: exportYAML)
        r.endpoint(.GET, "standards/:id/edit", access: .anyOf(editors), use: editPage)
        r.endpoint(.POST, "standards/:id/edit", access: .anyOf(editors), body: .collect(maxSize: "4mb"), use: saveDraft)
        r.endpoint(.POST, "standards/:id/status", access: .anyOf(editors), use: changeStatus)
        r.endpoint(.POST, "standards/:id/new-edition", access: .anyOf(editors), use: newEdition)
        r.endpoint(.POST, "standards/:id/delete", access: .anyOf(editors), use: deleteDraft)
        r.endpoint(.GET, "api/v1/standards", access: .anyOf(Roles.staff),
                   api: APIDoc("Standard editions", tag: "standards", response: "StandardList",
                               query: [.init("q", "string", "occupation code or name contains"),
                                       .init("status", "string", "draft, in-use or superseded")],
                               errors: [400]),
                   use: apiList)
        r.endpoint(.GET, "api/v1/standards/:id", access: .anyOf(Roles.staff),
                   api: APIDoc("One standard edition as its document", tag: "standards", response: "StandardDocument",
                               errors: [404]),
                   use: apiShow)
    }

    static func standardID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw WebError(.notFound, code: "not_found", zh: "找不到该标准", en: "no such standard", field: "id")
        }
        return id
    }

    static func statusFilter(_ req: Request) throws -> StoredStandard.Status? {
        guard let s = req.query[String.self, at: "status"], !s.isEmpty else { return nil }
        guard let status = StoredStandard.Status(rawValue: s) else {
            throw WebError.badField("status", zh: "状态无效", en: "status must be draft, in-use or superseded")
        }
        return status
    }

    static func statusBadge(_ s: StoredStandard.Status, req: Request) -> String {
        "<span class=\"badge \(s == .inUse ? "ok" : s == .draft ? "" : "bad")\">\(req.tr(s.nameZH, s.nameEN))</span>"
    }

    static func canEdit(_ req: Request) -> Bool { !(req.signedIn?.roles ?? []).isDisjoint(with: editors) }

    /// All editions with search and status filter, and the import form.
    @Sendable static func list(req: Request) async throws -> Response {
        try await renderList(req, errors: [])
    }

    static func renderList(_ req: Request, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let q = req.query[String.self, at: "q"] ?? ""
        let filter = try statusFilter(req)
        let rows = try await StandardStore.list(search: q, status: filter, on: req.db)
        let body = try rows.map { row -> String in
            let s = try row.standard()
            let levels = s.offeredLevels.map(\.shortName).joined(separator: "、")
            let flags = s.occupation.flags.map { "<span class=\"badge\">\(esc($0))</span>" }.joined()
            return "<tr><td><a href=\"/standards/\(row.id?.uuidString ?? "")\">\(esc(row.occupationCode))</a></td><td>\(esc(row.occupationName))\(flags)</td><td>\(esc(row.edition))</td><td>\(esc(row.documentNumber))</td><td>\(levels)</td><td>\(statusBadge(row.statusValue, req: req))</td></tr>"
        }.joined()
        let statusOptions = [("", req.tr("全部状态", "All"))] + StoredStandard.Status.allCases.map { ($0.rawValue, req.tr($0.nameZH, $0.nameEN)) }
        let importForm = canEdit(req) ? """
            <h2>\(req.tr("导入标准（YAML）", "Import a standard (YAML)"))</h2>
            <p class="hint">\(req.tr("格式见 docs/formats/standard.md；新版本作为草稿导入，同版本草稿将被替换；使用中的版本不会被覆盖。", "Format: docs/formats/standard.md. Imported as a draft; a draft of the same edition is replaced; editions in use are never overwritten."))</p>
            \(H.errorSummary(errors, req: req))
            <form method="post" action="/standards/import" enctype="multipart/form-data">\(H.csrf(req))
            <div class="field"><label for="f-file">\(req.tr("选择文件", "File"))</label><input id="f-file" type="file" name="file" accept=".yaml,.yml,text/yaml"></div>
            <div class="field"><label for="f-yaml">\(req.tr("或粘贴 YAML", "or paste YAML"))</label><textarea id="f-yaml" name="yaml" rows="6" cols="100" class="mono"></textarea></div>
            <div class="actions"><button type="submit" id="import-standard">\(req.tr("导入", "Import"))</button></div></form>
            """ : ""
        let content = """
            \(H.notice(req))
            <form class="filters" method="get" action="/standards">
            \(H.field(req.tr("职业编码或名称", "Code or name"), name: "q", value: q, req: req))
            \(H.select(req.tr("状态", "Status"), name: "status", options: statusOptions, selected: filter?.rawValue ?? "", req: req))
            <button type="submit">\(req.tr("筛选", "Filter"))</button></form>
            <table><thead><tr><th>\(req.tr("职业编码", "Code"))</th><th>\(req.tr("职业名称", "Occupation"))</th><th>\(req.tr("版本", "Edition"))</th><th>\(req.tr("文号", "Document"))</th><th>\(req.tr("等级", "Levels"))</th><th>\(req.tr("状态", "Status"))</th></tr></thead>
            <tbody>\(body.isEmpty ? "<tr><td colspan=\"6\" class=\"muted\">\(req.tr("没有符合条件的标准", "No matching standards"))</td></tr>" : body)</tbody></table>
            \(importForm)
            """
        let response = Layout.page(req, title: req.tr("职业技能标准", "Occupational standards"), active: "/standards", content)
        response.status = status
        return response
    }

    struct ImportForm: Content {
        var yaml: String?
        var file: File?
    }

    /// Imports an uploaded or pasted YAML document as a draft.
    @Sendable static func importDocument(req: Request) async throws -> Response {
        let form = try req.content.decode(ImportForm.self)
        var text = form.yaml ?? ""
        if let file = form.file, file.data.readableBytes > 0 {
            guard let s = file.data.getString(at: file.data.readerIndex, length: file.data.readableBytes),
                  s.utf8.count == file.data.readableBytes else {
                return try await renderList(req, errors: [FieldError(code: "not_utf8", field: "file", zh: "文件不是 UTF-8 编码的文本",
                                                                     en: "the file is not UTF-8 text")], status: .unprocessableEntity)
            }
            text = s
        }
        do {
            let row = try await StandardStore.importYAML(text, reason: nil, on: req.db, actor: try req.requireUser().actor,
                                                         time: req.time)
            return req.redirect(to: "/standards/\(row.id?.uuidString ?? "")?done=\(req.tr("已导入为草稿", "Imported as a draft").urlQueryEncoded)")
        } catch let failure as ValidationFailure {
            return try await renderList(req, errors: failure.errors, status: .unprocessableEntity)
        } catch let e as DomainError {
            guard case .conflict(let code, let zh, let en) = e else { throw e }
            return try await renderList(req, errors: [FieldError(code: code, field: "file", zh: zh, en: en)], status: .conflict)
        }
    }

    /// One edition: its levels with eligibility, parts, staffing and requirements; weight tables; element tables.
    @Sendable static func show(req: Request) async throws -> Response {
        let row = try await StandardStore.find(id: try standardID(req), on: req.db)
        let s = try row.standard()
        let id = row.id?.uuidString ?? ""
        var html = H.notice(req)
        html += """
            <p>\(req.tr("职业编码", "Code")) <strong>\(esc(s.occupation.code))</strong>（\(req.tr("大典", "classification")) \(esc(s.occupation.classificationEdition)) \(req.tr("版", ""))）·
            \(req.tr("标准版本", "Edition")) <strong>\(esc(s.edition.edition))</strong> · \(esc(s.edition.documentNumber))\(s.edition.issuedOn.map { " · \(req.tr("发布", "issued")) \(esc($0))" } ?? "") · \(statusBadge(row.statusValue, req: req))</p>
            <p>\(req.tr("工种", "Work types"))：\(s.occupation.workTypes.isEmpty ? "--" : esc(s.occupation.workTypes.joined(separator: "、")))\(s.occupation.flags.isEmpty ? "" : " · \(req.tr("标识", "flags")) \(esc(s.occupation.flags.joined(separator: " ")))")</p>
            \((s.notes ?? []).map { "<p class=\"muted\">※ \(esc($0))</p>" }.joined())
            """
        html += "<div class=\"actions\"><a class=\"button secondary\" href=\"/standards/\(id)/export.yaml\">\(req.tr("导出 YAML", "Export YAML"))</a>"
        if canEdit(req) {
            switch row.statusValue {
            case .draft:
                html += """
                    <a class="button" href="/standards/\(id)/edit">\(req.tr("编辑草稿", "Edit draft"))</a>
                    <form method="post" action="/standards/\(id)/status" class="inline" data-confirm="\(req.tr("启用后该版本不能再修改，确定启用？", "Once in use the edition cannot be edited. Put it in use?"))">\(H.csrf(req))<input type="hidden" name="to" value="in-use"><button type="submit" id="activate">\(req.tr("启用", "Put in use"))</button></form>
                    <form method="post" action="/standards/\(id)/delete" class="inline" data-confirm="\(req.tr("确定删除该草稿？", "Delete this draft?"))">\(H.csrf(req))<button type="submit" class="secondary">\(req.tr("删除草稿", "Delete draft"))</button></form>
                    """
            case .inUse:
                html += """
                    <form method="post" action="/standards/\(id)/new-edition" class="inline">\(H.csrf(req))<input name="edition" placeholder="\(req.tr("新版本号，如 2026", "new edition, e.g. 2026"))" required style="min-width:9rem"> <input name="documentNumber" placeholder="\(req.tr("文号", "document number"))" required style="min-width:12rem"> <button type="submit" class="secondary">\(req.tr("创建新版本", "New edition"))</button></form>
                    <form method="post" action="/standards/\(id)/status" class="inline" data-confirm="\(req.tr("确定将该版本标记为已替代？", "Mark this edition superseded?"))">\(H.csrf(req))<input type="hidden" name="to" value="superseded"><input name="reason" placeholder="\(req.tr("原因", "reason"))" required style="min-width:10rem"> <button type="submit" class="secondary">\(req.tr("标记为已替代", "Supersede"))</button></form>
                    """
            case .superseded:
                break
            }
        }
        html += "</div>"
        let ordered = s.levels.sorted { $0.level.number > $1.level.number }
        html += "<p>" + ordered.map { "<a href=\"#level-\($0.level.number)\">\(esc($0.level.fullName))</a>" }.joined(separator: " · ") + "</p>"
        for spec in ordered {
            html += "<h2 id=\"level-\(spec.level.number)\">\(esc(spec.level.fullName))</h2>"
            html += "<h3>\(req.tr("申报条件（具备以下条件之一者）", "Eligibility (any one of)"))</h3><ol>"
            for alt in spec.eligibility { html += "<li>\(esc(alt.text ?? EligibilityEngine.describe(alt)))</li>" }
            html += "</ol><table><thead><tr><th>\(req.tr("考核部分", "Part"))</th><th>\(req.tr("方式", "Methods"))</th><th>\(req.tr("时长（分钟，不少于）", "Minutes (at least)"))</th><th>\(req.tr("合格线", "Pass mark"))</th></tr></thead><tbody>"
            for part in spec.parts {
                html += "<tr><td>\(req.tr(part.part.nameZH, part.part.nameEN))</td><td>\(esc(part.methods.joined(separator: "、")))</td><td>\(part.minutes)</td><td>\(part.passMark)</td></tr>"
            }
            html += "</tbody></table>"
            if let st = spec.staffing {
                html += "<p class=\"muted\">\(req.tr("人员配比：理论知识考试每 \(st.theoryCandidatesPerInvigilator) 名考生 1 名监考、每考场不少于 \(st.theoryMinInvigilatorsPerRoom) 名；操作技能考核每 \(st.skillsCandidatesPerExaminer) 名考生 1 名考评员、每考位不少于 \(st.skillsMinExaminers) 名（奇数）；综合评审委员不少于 \(st.reviewPanelMin) 名（奇数）。", "Staffing: theory 1 invigilator per \(st.theoryCandidatesPerInvigilator), at least \(st.theoryMinInvigilatorsPerRoom) per room; skills 1 examiner per \(st.skillsCandidatesPerExaminer), odd, at least \(st.skillsMinExaminers); review panel odd, at least \(st.reviewPanelMin)."))</p>"
            }
            if let v = spec.venue { html += "<p>\(req.tr("场地设备", "Venue"))：\(esc(v))</p>" }
            if let k = spec.knowledge, !k.isEmpty { html += "<p>\(req.tr("知识要求", "Knowledge"))：\(esc(k.joined(separator: "；")))</p>" }
            if let k = spec.skills, !k.isEmpty { html += "<p>\(req.tr("技能要求", "Skills"))：\(esc(k.joined(separator: "；")))</p>" }
            for table in spec.elementTables ?? [] {
                html += "<h3>\(req.tr("鉴定要素细目表", "Element table")) · \(req.tr(table.part.nameZH, table.part.nameEN))（\(table.elementCount) \(req.tr("个鉴定点", "elements"))）</h3>"
                html += "<table class=\"elements\"><thead><tr><th>\(req.tr("代码", "Code"))</th><th>\(req.tr("鉴定范围 / 鉴定点", "Scope / element"))</th><th>\(req.tr("比重 / 重要程度", "Weight / importance"))</th></tr></thead><tbody>"
                for scope in table.scopes {
                    html += "<tr><th>\(esc(scope.code))</th><th>\(esc(scope.name))</th><th>\(scope.weight)%</th></tr>"
                    for e in scope.elements {
                        html += "<tr><td>\(esc(scope.code))-\(esc(e.code))</td><td>\(esc(e.name))</td><td>\(e.importance.rawValue)</td></tr>"
                    }
                }
                html += "</tbody></table>"
            }
        }
        for (title, table) in [(req.tr("理论知识权重表（%）", "Theory weights (%)"), s.theoryWeights),
                               (req.tr("技能要求权重表（%）", "Skill weights (%)"), s.skillWeights)] {
            guard let table else { continue }
            html += "<h2>\(title)</h2><table><thead><tr><th></th>\(table.levels.map { "<th>\(esc($0.shortName))</th>" }.joined())</tr></thead><tbody>"
            for row in table.rows {
                html += "<tr><td>\(row.category == "basic" ? req.tr("基本要求 · ", "Basic · ") : "")\(esc(row.name))</td>\(row.percents.map { "<td>\($0)</td>" }.joined())</tr>"
            }
            html += "<tr><th>\(req.tr("合计", "Total"))</th>\(table.levels.map { "<th>\(table.total(for: $0) ?? 0)</th>" }.joined())</tr></tbody></table>"
        }
        return Layout.page(req, title: "\(s.occupation.name) · \(s.edition.edition) \(req.tr("版", "edition"))", active: "/standards", html)
    }

    /// The edition as a YAML file.
    @Sendable static func exportYAML(req: Request) async throws -> Response {
        let row = try await StandardStore.find(id: try standardID(req), on: req.db)
        let text = try StandardCodec.encode(try row.standard())
        let response = Response(status: .ok, body: .init(string: text))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "yaml", parameters: ["charset": "utf-8"])
        response.headers.contentDisposition = .init(.attachment, filename: "\(row.occupationCode)-\(row.edition).yaml")
        return response
    }

    struct EditForm: Content {
        var yaml: String?
        var reason: String?
        var to: String?
        var edition: String?
        var documentNumber: String?
    }

    /// The YAML editor for a draft.
    @Sendable static func editPage(req: Request) async throws -> Response {
        let row = try await StandardStore.find(id: try standardID(req), on: req.db)
        return try renderEditor(req, row: row, text: try StandardCodec.encode(try row.standard()), errors: [])
    }

    static func renderEditor(_ req: Request, row: StoredStandard, text: String, errors: [FieldError],
                             status: HTTPResponseStatus = .ok) throws -> Response {
        guard row.statusValue == .draft else {
            throw DomainError.conflict(code: "edition_frozen", zh: "使用中或已替代的版本不能修改，请创建新版本",
                                       en: "an edition in use cannot be edited; create a new edition")
        }
        let id = row.id?.uuidString ?? ""
        let content = """
            \(H.errorSummary(errors, req: req))
            <p class="muted">\(req.tr("直接编辑标准文档；保存时整体校验，错误会指明位置（如 levels[2].parts[0].minutes）。", "Edit the document; saving validates it and names each problem by its path."))</p>
            <form method="post" action="/standards/\(id)/edit">\(H.csrf(req))
            <textarea name="yaml" rows="30" cols="120" class="mono" id="f-yaml">\(esc(text))</textarea>
            \(H.field(req.tr("修改说明", "What changed"), name: "reason", req: req))
            <div class="actions"><button type="submit" id="save-standard">\(req.tr("保存草稿", "Save draft"))</button> <a href="/standards/\(id)">\(req.tr("取消", "Cancel"))</a></div></form>
            """
        let response = Layout.page(req, title: "\(req.tr("编辑草稿", "Edit draft")) · \(row.occupationName) \(row.edition)", active: "/standards", content)
        response.status = status
        return response
    }

    /// Saves an edited draft.
    @Sendable static func saveDraft(req: Request) async throws -> Response {
        let id = try standardID(req)
        let form = try req.content.decode(EditForm.self)
        do {
            try await StandardStore.updateDraft(id: id, yaml: form.yaml ?? "", reason: form.reason, on: req.db,
                                                actor: try req.requireUser().actor, time: req.time)
        } catch let failure as ValidationFailure {
            let row = try await StandardStore.find(id: id, on: req.db)
            return try renderEditor(req, row: row, text: form.yaml ?? "", errors: failure.errors, status: .unprocessableEntity)
        }
        return req.redirect(to: "/standards/\(id)?done=\(req.tr("已保存草稿", "Draft saved").urlQueryEncoded)")
    }

    /// Puts a draft in use or supersedes an edition in use.
    @Sendable static func changeStatus(req: Request) async throws -> Response {
        let id = try standardID(req)
        let form = try req.content.decode(EditForm.self)
        guard let to = StoredStandard.Status(rawValue: form.to ?? "") else {
            throw WebError.badField("to", zh: "目标状态无效", en: "unknown target status")
        }
        try await StandardStore.transition(id: id, to: to, reason: form.reason ?? "", on: req.db,
                                           actor: try req.requireUser().actor, time: req.time)
        return req.redirect(to: "/standards/\(id)?done=\(req.tr("状态已变更为\(to.nameZH)", "Now \(to.nameEN)").urlQueryEncoded)")
    }

    /// Copies an edition into a new draft edition.
    @Sendable static func newEdition(req: Request) async throws -> Response {
        let form = try req.content.decode(EditForm.self)
        let row = try await StandardStore.newEdition(from: try standardID(req), edition: form.edition ?? "",
                                                     documentNumber: form.documentNumber ?? "", on: req.db,
                                                     actor: try req.requireUser().actor, time: req.time)
        return req.redirect(to: "/standards/\(row.id?.uuidString ?? "")?done=\(req.tr("已创建新版本草稿", "New draft edition created").urlQueryEncoded)")
    }

    /// Deletes a draft.
    @Sendable static func deleteDraft(req: Request) async throws -> Response {
        try await StandardStore.deleteDraft(id: try standardID(req), on: req.db, actor: try req.requireUser().actor,
                                            time: req.time)
        return req.redirect(to: "/standards?done=\(req.tr("已删除草稿", "Draft deleted").urlQueryEncoded)")
    }

    struct StandardSummaryDTO: Content {
        var id: UUID
        var occupationCode: String
        var occupationName: String
        var classificationEdition: String
        var edition: String
        var documentNumber: String
        var status: String
        var levels: [Int]
    }

    /// `GET /api/v1/standards`.
    @Sendable static func apiList(req: Request) async throws -> [StandardSummaryDTO] {
        try await StandardStore.list(search: req.query[String.self, at: "q"], status: try statusFilter(req), on: req.db)
            .map { row in
                StandardSummaryDTO(id: try row.requireID(), occupationCode: row.occupationCode,
                                   occupationName: row.occupationName, classificationEdition: row.classificationEdition,
                                   edition: row.edition, documentNumber: row.documentNumber, status: row.status,
                                   levels: try row.standard().offeredLevels.map(\.number))
            }
    }

    /// `GET /api/v1/standards/{id}`.
    @Sendable static func apiShow(req: Request) async throws -> Response {
        let row = try await StandardStore.find(id: try standardID(req), on: req.db)
        let response = Response(status: .ok, body: .init(string: row.document))
        response.headers.contentType = .json
        return response
    }
}
