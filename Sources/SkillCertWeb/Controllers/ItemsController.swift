import Fluent
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import Vapor

/// The item bank: list and filters, authoring, the review workflow, enemy pairs. Content is decrypted only for
/// the item & examiner department and administrators, and every read is audited.
enum ItemsController {
    static let bankRoles: Set<Role> = [.administrator, .itemExaminer]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "items", access: .anyOf(bankRoles), use: list)
        r.endpoint(.GET, "items/new", access: .anyOf(bankRoles), use: newForm)
        r.endpoint(.GET, "items/import", access: .anyOf(bankRoles), use: importPage)
        r.endpoint(.GET, "items/import-template.xlsx", access: .anyOf(bankRoles), use: importTemplate)
        r.endpoint(.GET, "items/export.qti.zip", access: .anyOf(bankRoles), use: exportQTI)
        r.endpoint(.POST, "items/import-qti", access: .anyOf(bankRoles), body: .collect(maxSize: "20mb"), use: importQTI)
        r.endpoint(.POST, "items/import", access: .anyOf(bankRoles), body: .collect(maxSize: "20mb"), use: importSheet)
        r.endpoint(.POST, "items", access: .anyOf(bankRoles), use: create)
        r.endpoint(.GET, "items/:id", access: .anyOf(bankRoles), use: show)
        r.endpoint(.GET, "items/:id/edit", access: .anyOf(bankRoles), use: editForm)
        r.endpoint(.POST, "items/:id", access: .anyOf(bankRoles), use: update)
        r.endpoint(.POST, "items/:id/workflow", access: .anyOf(bankRoles), use: workflow)
        r.endpoint(.POST, "items/:id/enemies", access: .anyOf(bankRoles), use: addEnemy)
        r.endpoint(.POST, "items/:id/enemies/:other/delete", access: .anyOf(bankRoles), use: removeEnemy)
        r.endpoint(.GET, "api/v1/items", access: .anyOf(bankRoles),
                   api: APIDoc("Items of the bank (metadata only)", tag: "items", response: "ItemList",
                               query: [.init("status", "string", "draft, in-review, approved or retired"),
                                       .init("type", "string", "item type")], errors: [400]),
                   use: apiList)
        r.endpoint(.GET, "api/v1/items/:id", access: .anyOf(bankRoles),
                   api: APIDoc("One item with its decrypted content (the read is audited)", tag: "items", response: "Item",
                               errors: [404, 503]),
                   use: apiShow)
    }

    static func itemID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw WebError(.notFound, code: "not_found", zh: "找不到该试题", en: "no such item", field: "id")
        }
        return id
    }

    struct ItemForm: Content {
        var target: String?
        var scopeCode: String?
        var elementCode: String?
        var type: String?
        var stem: String?
        var options: String?
        var correct: String?
        var acceptedAnswers: String?
        var explanation: String?
        var difficulty: String?
        var source: String?
        var tags: String?
        var preparation: String?
        var minutes: String?
        var criteria: String?
    }

    /// Builds the input from the form; `target` is `standardID|level|part|scope|element`.
    static func input(from f: ItemForm) throws -> ItemBankStore.ItemInput {
        let parts = (f.target ?? "").split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, let standardID = UUID(uuidString: parts[0]), let level = Int(parts[1]),
              let part = AssessmentPartKind(rawValue: parts[2]) else {
            throw ValidationFailure([.required("target", label: "所属标准、等级与鉴定点")])
        }
        guard let type = ItemType(rawValue: f.type ?? "") else {
            throw ValidationFailure([FieldError(code: "invalid_value", field: "type", zh: "请选择题型", en: "choose a type")])
        }
        let scope = parts[3] == "-" ? (f.scopeCode ?? "").trimmingCharacters(in: .whitespaces) : parts[3]
        let element = parts[4] == "-" ? (f.elementCode ?? "").trimmingCharacters(in: .whitespaces) : parts[4]
        guard let difficulty = Double((f.difficulty ?? "").trimmingCharacters(in: .whitespaces)) else {
            throw ValidationFailure([FieldError(code: "invalid_number", field: "difficulty", zh: "预估难度应为 0.05–0.99 之间的小数",
                                                en: "difficulty must be a number between 0.05 and 0.99")])
        }
        let options = H.lines(f.options)
        var correct: [Int]?
        let answer = (f.correct ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        switch type {
        case .trueFalse:
            correct = ["对", "正确", "TRUE", "T", "√"].contains(answer) ? [0] : ["错", "错误", "FALSE", "F", "×"].contains(answer) ? [1] : []
        case .singleChoice, .multipleChoice:
            correct = answer.compactMap { c -> Int? in
                guard let a = c.asciiValue, (65...90).contains(a) else { return nil }
                return Int(a) - 65
            }
        default: break
        }
        var task: TaskCard?
        if type == .practicalTask {
            let criteria = H.lines(f.criteria).map { line -> TaskCard.Criterion in
                let cols = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                return TaskCard.Criterion(text: cols[0], points: cols.count > 1 ? Int(cols[1]) ?? -1 : -1,
                                          deduction: cols.count > 2 && !cols[2].isEmpty ? cols[2] : nil,
                                          veto: cols.count > 3 && ["否决", "veto", "是", "yes"].contains(cols[3].lowercased()))
            }
            task = TaskCard(preparation: f.preparation ?? "", minutes: Int(f.minutes ?? "") ?? 0, criteria: criteria)
        }
        let content = ItemContent(stem: f.stem ?? "", options: options.isEmpty ? nil : options, correct: correct,
                                  acceptedAnswers: type == .fillIn ? H.lines(f.acceptedAnswers) : nil,
                                  explanation: (f.explanation ?? "").isEmpty ? nil : f.explanation, task: task)
        return ItemBankStore.ItemInput(standardID: standardID, level: level, part: part, scopeCode: scope, elementCode: element,
                                       type: type, content: content, difficulty: difficulty, source: f.source ?? "",
                                       tags: (f.tags ?? "").split(whereSeparator: { $0 == "," || $0 == "，" }).map(String.init))
    }

    /// Every element of every standard in use, as options `standardID|level|part|scope|element`.
    static func targets(_ req: Request) async throws -> [(String, String)] {
        var out: [(String, String)] = []
        for row in try await StandardStore.list(status: .inUse, on: req.db) {
            let s = try row.standard()
            for spec in s.levels.sorted(by: { $0.level.number > $1.level.number }) {
                for part in spec.parts {
                    let base = "\(row.id!.uuidString)|\(spec.level.number)|\(part.part.rawValue)"
                    let label = "\(s.occupation.name) \(s.edition.edition) · \(spec.level.shortName) · \(part.part.nameZH)"
                    if let table = spec.elementTables?.first(where: { $0.part == part.part }) {
                        for scope in table.scopes {
                            for e in scope.elements {
                                out.append(("\(base)|\(scope.code)|\(e.code)", "\(label) · \(scope.code)-\(e.code) \(e.name)（\(e.importance.rawValue)）"))
                            }
                        }
                    } else {
                        out.append(("\(base)|-|-", "\(label) ·（无细目表，手填鉴定范围与鉴定点）"))
                    }
                }
            }
        }
        return out
    }

    /// The filtered list with paging.
    @Sendable static func list(req: Request) async throws -> Response {
        let paging = try Paging(req)
        let filter = try parseFilter(req)
        let (rows, total) = try await ItemBankStore.list(filter, page: paging.page, perPage: paging.perPage, on: req.db)
        let standards = try await StandardStore.list(on: req.db)
        let names = Dictionary(standards.map { ($0.id!, "\($0.occupationName) \($0.edition)") }, uniquingKeysWith: { a, _ in a })
        let body = rows.map { r -> String in
            let v = r.version
            return "<tr><td><a href=\"/items/\(r.item.id!.uuidString)\">\(esc(String(r.item.id!.uuidString.prefix(8))))</a></td><td>\(esc(names[r.item.standardID] ?? ""))</td><td>\(Level(r.item.level).shortName)</td><td>\(esc(r.item.scopeCode))-\(esc(r.item.elementCode)) <span class=\"badge\">\(esc(v.importance))</span></td><td>\(req.tr(r.item.type.nameZH, r.item.type.nameEN))</td><td>v\(v.version) <span class=\"badge \(v.statusValue == .approved ? "ok" : v.statusValue == .retired ? "bad" : "")\">\(req.tr(v.statusValue.nameZH, v.statusValue.nameEN))</span></td><td>\(String(format: "%.2f", v.difficulty))\(v.observedP.map { " <span class=\"muted\" title=\"\(req.tr("实测难度", "Observed difficulty"))\">/ \(String(format: "%.2f", $0))</span>" } ?? "")</td><td>\(r.uses)</td><td>\(esc(r.item.authorName))</td><td>\(esc(v.tags))</td></tr>"
        }.joined()
        let standardOptions = [("", req.tr("全部标准", "All standards"))] + standards.map { ($0.id!.uuidString, "\($0.occupationCode) \($0.occupationName) \($0.edition)") }
        let content = """
            \(H.notice(req))
            <p class="muted">\(req.tr("试题内容加密存储，列表只显示属性；查看内容会记入审计日志。", "Item content is encrypted at rest; the list shows metadata only, and opening an item is audited."))</p>
            <form class="filters" method="get" action="/items">
            \(H.select(req.tr("标准", "Standard"), name: "standard", options: standardOptions, selected: filter.standardID?.uuidString ?? "", req: req))
            \(H.select(req.tr("等级", "Level"), name: "level", options: [("", req.tr("全部", "All"))] + (1...5).reversed().map { (String($0), Level($0).shortName) }, selected: filter.level.map(String.init) ?? "", req: req))
            \(H.field(req.tr("鉴定范围", "Scope"), name: "scope", value: filter.scope ?? "", req: req, attrs: "style=\"min-width:5rem\""))
            \(H.field(req.tr("鉴定点", "Element"), name: "element", value: filter.element ?? "", req: req, attrs: "style=\"min-width:5rem\""))
            \(H.select(req.tr("使用情况", "Usage"), name: "usage", options: [("", req.tr("全部", "All")), ("unused", req.tr("未使用", "Unused")), ("used", req.tr("已使用", "Used"))], selected: filter.usage ?? "", req: req))
            \(H.select(req.tr("题型", "Type"), name: "type", options: [("", req.tr("全部", "All"))] + ItemType.allCases.map { ($0.rawValue, req.tr($0.nameZH, $0.nameEN)) }, selected: filter.type?.rawValue ?? "", req: req))
            \(H.select(req.tr("状态", "Status"), name: "status", options: [("", req.tr("全部", "All"))] + ItemStatus.allCases.map { ($0.rawValue, req.tr($0.nameZH, $0.nameEN)) }, selected: filter.status?.rawValue ?? "", req: req))
            \(H.field(req.tr("难度 ≥", "Difficulty ≥"), name: "minDifficulty", value: filter.minDifficulty.map { String($0) } ?? "", req: req, attrs: "style=\"min-width:5rem\""))
            \(H.field(req.tr("难度 ≤", "Difficulty ≤"), name: "maxDifficulty", value: filter.maxDifficulty.map { String($0) } ?? "", req: req, attrs: "style=\"min-width:5rem\""))
            \(H.field(req.tr("标签或来源", "Tag or source"), name: "tag", value: filter.tag ?? "", req: req))
            <button type="submit">\(req.tr("筛选", "Filter"))</button></form>
            <div class="actions"><a class="button" href="/items/new" id="new-item">\(req.tr("新建试题", "New item"))</a> <a class="button secondary" href="/items/import">\(req.tr("批量导入", "Import"))</a> <a class="button secondary" href="/papers">\(req.tr("组卷与试卷", "Papers"))</a></div>
            <table><thead><tr><th>ID</th><th>\(req.tr("标准", "Standard"))</th><th>\(req.tr("等级", "Level"))</th><th>\(req.tr("鉴定点", "Element"))</th><th>\(req.tr("题型", "Type"))</th><th>\(req.tr("版本/状态", "Version"))</th><th>\(req.tr("难度", "Difficulty"))</th><th>\(req.tr("使用次数", "Uses"))</th><th>\(req.tr("命题人", "Author"))</th><th>\(req.tr("标签", "Tags"))</th></tr></thead>
            <tbody>\(body.isEmpty ? "<tr><td colspan=\"10\" class=\"muted\">\(req.tr("没有符合条件的试题", "No matching items"))</td></tr>" : body)</tbody></table>
            \(H.pager(req, page: paging.page, perPage: paging.perPage, total: total))
            """
        return Layout.page(req, title: req.tr("题库", "Item bank"), active: "/items", content)
    }

    static func parseFilter(_ req: Request) throws -> ItemBankStore.Filter {
        func opt(_ k: String) -> String? { req.query[String.self, at: k].flatMap { $0.isEmpty ? nil : $0 } }
        var f = ItemBankStore.Filter()
        f.standardID = opt("standard").flatMap(UUID.init(uuidString:))
        f.level = opt("level").flatMap { Int($0) }
        f.scope = opt("scope")
        if let t = opt("type") {
            guard let type = ItemType(rawValue: t) else { throw WebError.badField("type", zh: "题型无效", en: "unknown type") }
            f.type = type
        }
        if let s = opt("status") {
            guard let status = ItemStatus(rawValue: s) else { throw WebError.badField("status", zh: "状态无效", en: "unknown status") }
            f.status = status
        }
        f.minDifficulty = opt("minDifficulty").flatMap { Double($0) }
        f.maxDifficulty = opt("maxDifficulty").flatMap { Double($0) }
        f.tag = opt("tag")
        f.element = opt("element")
        if let u = opt("usage") {
            guard ["used", "unused"].contains(u) else { throw WebError.badField("usage", zh: "使用情况无效", en: "usage must be used or unused") }
            f.usage = u
        }
        return f
    }

    /// The bulk import page: template download and upload.
    @Sendable static func importPage(req: Request) async throws -> Response {
        renderImport(req, errors: [], fileError: nil)
    }

    static func renderImport(_ req: Request, errors: [ItemSheetImport.RowError], fileError: String?,
                             status: HTTPResponseStatus = .ok) -> Response {
        var report = ""
        if let fileError {
            report = "<div class=\"alert alert-error\" id=\"import-errors\">\(esc(fileError))</div>"
        } else if !errors.isEmpty {
            let rows = errors.map { "<tr><td>\($0.row)</td><td>\(esc($0.column))</td><td>\(esc($0.header))</td><td>\(esc(req.tr($0.messageZH, $0.messageEN)))</td></tr>" }.joined()
            report = """
                <div class="alert alert-error" id="import-errors">\(req.tr("文件中有 \(errors.count) 处错误，未导入任何试题。请修改后重新上传。", "\(errors.count) problems found; nothing was imported."))</div>
                <table><thead><tr><th>\(req.tr("行", "Row"))</th><th>\(req.tr("列", "Column"))</th><th>\(req.tr("表头", "Header"))</th><th>\(req.tr("问题", "Problem"))</th></tr></thead><tbody>\(rows)</tbody></table>
                """
        }
        let content = """
            \(report)
            <p>\(req.tr("批量导入单选、多选、判断、填空题：下载模板，按“填写说明”工作表填写后上传。整个文件校验通过才会导入（全部导入或全部不导入），导入的试题为草稿，需提交审核。", "Import objective items in bulk: fill in the template and upload it. The whole file is checked first; all rows are imported or none, as drafts."))</p>
            <div class="actions"><a class="button secondary" href="/items/import-template.xlsx" id="template">\(req.tr("下载导入模板", "Download the template"))</a></div>
            <form method="post" action="/items/import" enctype="multipart/form-data">\(H.csrf(req))
            <div class="field"><label for="f-file">\(req.tr("选择 .xlsx 文件", ".xlsx file"))</label><input id="f-file" type="file" name="file" accept=".xlsx" required></div>
            <div class="actions"><button type="submit" id="upload">\(req.tr("上传并导入", "Upload and import"))</button></div></form>
            <h2>QTI 3.0</h2>
            <p>\(req.tr("与其他考试平台交换单选、多选、判断、填空题：", "Exchange objective items with other platforms: "))<a href="/items/export.qti.zip">\(req.tr("导出全部客观题（QTI 3.0）", "export all objective items (QTI 3.0)"))</a></p>
            <form method="post" action="/items/import-qti" enctype="multipart/form-data">\(H.csrf(req))
            <div class="field"><label for="f-qti">\(req.tr("QTI 压缩包", "QTI package"))</label><input id="f-qti" type="file" name="file" accept=".zip" required></div>
            <div class="actions"><button type="submit">\(req.tr("导入 QTI", "Import QTI"))</button></div></form>
            """
        let response = Layout.page(req, title: req.tr("批量导入试题", "Import items"), active: "/items", content)
        response.status = status
        return response
    }

    /// The import template: the header row, and a sheet with instructions and an example.
    @Sendable static func importTemplate(req: Request) async throws -> Response {
        let headers = ItemSheetImport.columns.map(\.header)
        let example: [CellValue] = ["6-31-01-03", "2018", "4", "C", "001", "单选", "三相异步电动机正反转控制电路中，接触器互锁的作用是（　）。",
                                    "防止两个接触器同时吸合造成电源短路", "提高电动机转速", "降低启动电流", "节约电能", "", "", "A", "",
                                    "互锁保证正转和反转接触器不会同时接通。", "0.75", "示例", "继电控制,互锁"].map { .text($0) }
        let notes: [[CellValue]] = [
            [.text("题型"), .text("单选、多选、判断、填空（操作技能考核任务卡请在页面上录入）")],
            [.text("正确答案"), .text("单选填一个字母（如 A），多选填多个字母（如 ACD），判断填 对 或 错；填空题留空，在“填空答案”列填写，多个可接受答案用 | 分隔")],
            [.text("预估难度"), .text("预计通过率，0.05–0.99 之间的小数，越大越容易")],
            [.text("鉴定范围/鉴定点"), .text("须为该标准该等级理论知识鉴定要素细目表中的代码，如 C 和 001")],
            [.text("注意"), .text("不要使用公式或合并单元格；整个文件校验通过才会导入")],
        ]
        return try xlsxResponse(Worksheet(name: "试题", header: headers, rows: []),
                                Worksheet(name: "填写说明", header: headers, rows: [example] + [[]] + notes),
                                filename: "item-import-template.xlsx")
    }

    struct UploadForm: Content {
        var file: File?
    }

    /// The filtered objective items as a QTI 3.0 package (the read is audited).
    @Sendable static func exportQTI(req: Request) async throws -> Response {
        let rows = try await ItemBankStore.list(try parseFilter(req), page: 1, perPage: 100_000, on: req.db).rows
            .filter { $0.item.type != .practicalTask }
        let standards = Dictionary(try await StandardStore.list(on: req.db).map { ($0.id!, $0) }, uniquingKeysWith: { a, _ in a })
        let items = try await ItemBankStore.readForExport(rows, reader: try req.requireUser().actor, sealer: try req.sealer(),
                                                          on: req.db, time: req.time).map { row, content in
            QTIItem(identifier: "ITEM-\(row.item.id!.uuidString)", type: row.item.type, content: content, metadata: [
                "occupationCode": standards[row.item.standardID]?.occupationCode ?? "",
                "edition": standards[row.item.standardID]?.edition ?? "",
                "level": String(row.item.level), "part": row.item.part, "scope": row.item.scopeCode,
                "element": row.item.elementCode, "difficulty": String(row.version.difficulty), "source": row.version.source,
                "tags": row.version.tags,
            ])
        }
        let response = Response(status: .ok, body: .init(data: try QTIPackage.export(items)))
        response.headers.contentType = .zip
        response.headers.contentDisposition = .init(.attachment, filename: "items-qti3.zip")
        return response
    }

    /// Imports a QTI 3.0 package as drafts, all or nothing.
    @Sendable static func importQTI(req: Request) async throws -> Response {
        let form = try req.content.decode(UploadForm.self)
        guard let file = form.file, file.data.readableBytes > 0 else {
            return renderImport(req, errors: [], fileError: req.tr("请选择要上传的文件（文件为空）", "choose a file (the file is empty)"),
                                status: .unprocessableEntity)
        }
        let items: [QTIItem]
        do {
            items = try QTIPackage.import(Data(buffer: file.data))
        } catch let e as SpreadsheetError {
            return renderImport(req, errors: [], fileError: req.tr(e.messageZH, e.messageEN), status: .unprocessableEntity)
        }
        var standards: [String: UUID] = [:]
        for row in try await StandardStore.list(on: req.db) { standards["\(row.occupationCode)|\(row.edition)"] = row.id }
        var inputs: [ItemBankStore.ItemInput] = []
        var errors: [ItemSheetImport.RowError] = []
        for (i, item) in items.enumerated() {
            let m = item.metadata
            guard let standardID = standards["\(m["occupationCode"] ?? "")|\(m["edition"] ?? "")"],
                  let level = Int(m["level"] ?? ""), let part = AssessmentPartKind(rawValue: m["part"] ?? "theory"),
                  let difficulty = Double(m["difficulty"] ?? "0.7") else {
                errors.append(.init(row: i + 1, column: item.identifier, header: "metadata",
                                    messageZH: "缺少或无法识别所属标准、等级或难度", messageEN: "standard, level or difficulty missing"))
                continue
            }
            inputs.append(.init(standardID: standardID, level: level, part: part, scopeCode: m["scope"] ?? "",
                                elementCode: m["element"] ?? "", type: item.type, content: item.content, difficulty: difficulty,
                                source: m["source"] ?? "", tags: (m["tags"] ?? "").split(separator: ",").map(String.init)))
        }
        guard errors.isEmpty else { return renderImport(req, errors: errors, fileError: nil, status: .unprocessableEntity) }
        do {
            let n = try await ItemBankStore.createMany(inputs, author: try req.requireUser().actor, sealer: try req.sealer(),
                                                       on: req.db, time: req.time)
            return req.redirect(to: "/items?done=\(req.tr("已从 QTI 导入 \(n) 道试题（草稿）", "Imported \(n) QTI items as drafts").urlQueryEncoded)")
        } catch let failure as ValidationFailure {
            return renderImport(req, errors: failure.errors.map { .init(row: 0, column: "", header: $0.field, messageZH: $0.messageZH, messageEN: $0.messageEN) },
                                fileError: nil, status: .unprocessableEntity)
        }
    }

    /// Imports an uploaded workbook: every row and column checked, all or nothing.
    @Sendable static func importSheet(req: Request) async throws -> Response {
        let form = try req.content.decode(UploadForm.self)
        guard let file = form.file, file.data.readableBytes > 0 else {
            return renderImport(req, errors: [], fileError: req.tr("请选择要上传的文件（文件为空）", "choose a file (the file is empty)"),
                                status: .unprocessableEntity)
        }
        let table: XLSXTable
        do {
            table = try XLSXReader.read(Data(buffer: file.data))
        } catch let e as SpreadsheetError {
            return renderImport(req, errors: [], fileError: req.tr(e.messageZH, e.messageEN), status: .unprocessableEntity)
        }
        let (inputs, errors) = try await ItemSheetImport.parse(rows: table.rows, on: req.db)
        guard errors.isEmpty else { return renderImport(req, errors: errors, fileError: nil, status: .unprocessableEntity) }
        let n = try await ItemBankStore.createMany(inputs, author: try req.requireUser().actor, sealer: try req.sealer(),
                                                   on: req.db, time: req.time)
        return req.redirect(to: "/items?done=\(req.tr("已导入 \(n) 道试题（草稿）", "Imported \(n) items as drafts").urlQueryEncoded)")
    }

    @Sendable static func newForm(req: Request) async throws -> Response {
        try await renderForm(req, form: ItemForm(type: "single-choice", difficulty: "0.7"), action: "/items", errors: [])
    }

    static func renderForm(_ req: Request, form f: ItemForm, action: String, errors: [FieldError], fixedTarget: String? = nil,
                           status: HTTPResponseStatus = .ok) async throws -> Response {
        let targetField: String
        if let fixedTarget {
            targetField = "<p>\(req.tr("所属鉴定点", "Element"))：\(esc(fixedTarget))</p><input type=\"hidden\" name=\"target\" value=\"\(esc(f.target ?? ""))\">"
        } else {
            targetField = H.select(req.tr("所属标准 · 等级 · 考核部分 · 鉴定点", "Standard · level · part · element"), name: "target",
                                   options: try await targets(req), selected: f.target ?? "", errors: errors, req: req)
        }
        let content = """
            \(H.errorSummary(errors, req: req))
            <form method="post" action="\(action)">\(H.csrf(req))
            \(targetField)
            <div class="filters">\(H.field(req.tr("鉴定范围代码（无细目表时）", "Scope code (no table)"), name: "scopeCode", value: f.scopeCode ?? "", req: req, attrs: "style=\"min-width:6rem\""))
            \(H.field(req.tr("鉴定点代码（无细目表时）", "Element code (no table)"), name: "elementCode", value: f.elementCode ?? "", req: req, attrs: "style=\"min-width:6rem\""))</div>
            \(H.select(req.tr("题型", "Type"), name: "type", options: ItemType.allCases.map { ($0.rawValue, req.tr($0.nameZH, $0.nameEN)) }, selected: f.type ?? "single-choice", errors: errors, req: req))
            <div class="field"><label for="f-stem">\(req.tr("题干 / 任务内容", "Stem / task"))</label><textarea id="f-stem" name="stem" rows="4" cols="90">\(esc(f.stem ?? ""))</textarea>\(errors.filter { $0.field == "stem" }.map { "<p class=\"field-error\">\(esc(req.message($0)))</p>" }.joined())</div>
            <div class="field"><label for="f-options">\(req.tr("选项（每行一个，依次为 A、B、C…）", "Options (one per line: A, B, C…)"))</label><textarea id="f-options" name="options" rows="4" cols="90">\(esc(f.options ?? ""))</textarea></div>
            \(H.field(req.tr("正确答案（如 A 或 ACD；判断题填 对/错）", "Answer (A, ACD; 对/错 for true/false)"), name: "correct", value: f.correct ?? "", errors: errors, req: req))
            <div class="field"><label for="f-accepted">\(req.tr("填空题标准答案（每行一个可接受答案）", "Fill-in accepted answers (one per line)"))</label><textarea id="f-accepted" name="acceptedAnswers" rows="2" cols="90">\(esc(f.acceptedAnswers ?? ""))</textarea></div>
            <details\(f.type == "practical-task" ? " open" : "")><summary>\(req.tr("操作技能考核任务卡", "Practical task card"))</summary>
            <div class="field"><label for="f-prep">\(req.tr("考核准备通知单", "Preparation notice"))</label><textarea id="f-prep" name="preparation" rows="3" cols="90">\(esc(f.preparation ?? ""))</textarea></div>
            \(H.field(req.tr("考核时间（分钟）", "Minutes"), name: "minutes", value: f.minutes ?? "", type: "number", errors: errors, req: req))
            <div class="field"><label for="f-criteria">\(req.tr("评分记录表（每行：评分项 | 分值 | 扣分说明 | 否决）", "Score sheet (one per line: criterion | points | deduction | veto)"))</label><textarea id="f-criteria" name="criteria" rows="5" cols="90">\(esc(f.criteria ?? ""))</textarea></div></details>
            <div class="field"><label for="f-expl">\(req.tr("解析", "Explanation"))</label><textarea id="f-expl" name="explanation" rows="2" cols="90">\(esc(f.explanation ?? ""))</textarea></div>
            <div class="filters">\(H.field(req.tr("预估难度（预计通过率 0.05–0.99）", "Planned difficulty (expected proportion correct)"), name: "difficulty", value: f.difficulty ?? "0.7", required: true, errors: errors, req: req))
            \(H.field(req.tr("来源", "Source"), name: "source", value: f.source ?? "", req: req))
            \(H.field(req.tr("标签（逗号分隔）", "Tags (comma-separated)"), name: "tags", value: f.tags ?? "", req: req))</div>
            <div class="actions"><button type="submit" id="save-item">\(req.tr("保存", "Save"))</button></div></form>
            """
        let response = Layout.page(req, title: req.tr("编辑试题", "Item"), active: "/items", content)
        response.status = status
        return response
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let form = try req.content.decode(ItemForm.self)
        do {
            let item = try await ItemBankStore.create(try input(from: form), author: try req.requireUser().actor,
                                                      sealer: try req.sealer(), on: req.db, time: req.time)
            return req.redirect(to: "/items/\(item.id!.uuidString)?done=\(req.tr("已保存为草稿", "Saved as a draft").urlQueryEncoded)")
        } catch let failure as ValidationFailure {
            return try await renderForm(req, form: form, action: "/items", errors: failure.errors, status: .unprocessableEntity)
        }
    }

    /// One item with its decrypted content (audited), versions, workflow actions and enemy pairs.
    @Sendable static func show(req: Request) async throws -> Response {
        let item = try await ItemBankStore.find(try itemID(req), on: req.db)
        let version = try await ItemBankStore.latest(item, on: req.db)
        let user = try req.requireUser()
        let content = try await ItemBankStore.readContent(versionID: version.id!, reader: user.actor, sealer: try req.sealer(),
                                                          on: req.db, time: req.time)
        let id = item.id!.uuidString
        var html = H.notice(req)
        html += "<p>\(req.tr(item.type.nameZH, item.type.nameEN)) · \(Level(item.level).fullName) · \(esc(item.scopeCode))-\(esc(item.elementCode)) · v\(version.version) <span class=\"badge\">\(req.tr(version.statusValue.nameZH, version.statusValue.nameEN))</span> · \(req.tr("命题人", "author")) \(esc(item.authorName)) · \(req.tr("预估难度", "difficulty")) \(String(format: "%.2f", version.difficulty))\(version.observedP.map { " · <span id=\"observed-p\">\(req.tr("实测难度", "observed difficulty")) \(String(format: "%.2f", $0))</span>" } ?? "")</p>"
        html += "<div class=\"card\"><p><strong>\(esc(content.stem))</strong></p>"
        for (i, option) in (content.options ?? []).enumerated() {
            html += "<p>\(alphabeticLabel(i)). \(esc(option))\((content.correct ?? []).contains(i) ? " <span class=\"badge ok\">✓</span>" : "")</p>"
        }
        if item.type == .trueFalse { html += "<p>\(req.tr("答案", "Answer"))：\(content.correct == [0] ? "对" : "错")</p>" }
        if let answers = content.acceptedAnswers { html += "<p>\(req.tr("标准答案", "Accepted"))：\(esc(answers.joined(separator: " / ")))</p>" }
        if let task = content.task {
            html += "<p>\(req.tr("考核准备", "Preparation"))：\(esc(task.preparation))</p><p>\(req.tr("时间", "Time"))：\(task.minutes) \(req.tr("分钟", "min"))</p><table><thead><tr><th>\(req.tr("评分项", "Criterion"))</th><th>\(req.tr("分值", "Points"))</th><th>\(req.tr("扣分说明", "Deduction"))</th><th>\(req.tr("否决项", "Veto"))</th></tr></thead><tbody>"
            for c in task.criteria { html += "<tr><td>\(esc(c.text))</td><td>\(c.points)</td><td>\(esc(c.deduction ?? ""))</td><td>\(c.veto ? "✓" : "")</td></tr>" }
            html += "</tbody></table>"
        }
        if let e = content.explanation { html += "<p class=\"muted\">\(req.tr("解析", "Explanation"))：\(esc(e))</p>" }
        html += "</div><div class=\"actions\">"
        switch version.statusValue {
        case .draft:
            html += "<a class=\"button secondary\" href=\"/items/\(id)/edit\">\(req.tr("修改", "Edit"))</a>"
            html += workflowButton(req, id: id, action: "submit", label: req.tr("提交审核", "Submit for review"))
            html += workflowButton(req, id: id, action: "retire", label: req.tr("停用", "Retire"), confirm: req.tr("确定停用该试题？", "Retire this item?"))
        case .inReview:
            if !version.isEditor(user.id) {
                html += workflowButton(req, id: id, action: "approve", label: req.tr("审核通过", "Approve"))
                html += """
                    <form method="post" action="/items/\(id)/workflow" class="inline">\(H.csrf(req))<input type="hidden" name="action" value="reject"><input name="reason" placeholder="\(req.tr("退回原因", "reason"))" required style="min-width:12rem"> <button type="submit" class="secondary">\(req.tr("退回修改", "Send back"))</button></form>
                    """
            } else {
                html += "<span class=\"muted\">\(req.tr("等待其他审核人审核（命题人不能审核自己的试题）", "Waiting for another reviewer (authors cannot approve their own items)"))</span>"
            }
        case .approved:
            html += "<a class=\"button secondary\" href=\"/items/\(id)/edit\">\(req.tr("修改（生成新版本）", "Edit (new version)"))</a>"
            html += workflowButton(req, id: id, action: "retire", label: req.tr("停用", "Retire"), confirm: req.tr("确定停用该试题？", "Retire this item?"))
        case .retired:
            break
        }
        html += "</div>"
        let enemies = try await ItemBankStore.enemies(of: item.id!, on: req.db)
        html += "<h2>\(req.tr("互斥试题（不得同卷）", "Enemy items (never on one paper)"))</h2><ul>\(enemies.map { "<li><a href=\"/items/\($0.uuidString)\">\($0.uuidString.prefix(8))</a> <form method=\"post\" action=\"/items/\(id)/enemies/\($0.uuidString)/delete\" class=\"inline\" data-confirm=\"\(req.tr("确定解除互斥？", "Remove this pair?"))\">\(H.csrf(req))<button type=\"submit\" class=\"secondary\">\(req.tr("解除", "Remove"))</button></form></li>" }.joined())</ul>"
        html += "<form method=\"post\" action=\"/items/\(id)/enemies\" class=\"filters\">\(H.csrf(req))\(H.field(req.tr("互斥试题 ID", "Enemy item id"), name: "enemy", req: req))<button type=\"submit\" class=\"secondary\">\(req.tr("添加互斥", "Add"))</button></form>"
        let versions = try await StoredItemVersion.query(on: req.db).filter(\.$itemID == item.id!).sort(\.$version, .descending).all()
        html += "<h2>\(req.tr("版本", "Versions"))</h2><table><thead><tr><th>\(req.tr("版本", "Version"))</th><th>\(req.tr("状态", "Status"))</th><th>\(req.tr("创建", "Created"))</th><th>\(req.tr("审核", "Reviewed"))</th></tr></thead><tbody>"
        for v in versions { html += "<tr><td>v\(v.version)</td><td>\(req.tr(v.statusValue.nameZH, v.statusValue.nameEN))</td><td>\(H.time(v.createdAt))</td><td>\(H.time(v.reviewedAt))</td></tr>" }
        html += "</tbody></table>"
        return Layout.page(req, title: "\(req.tr("试题", "Item")) \(id.prefix(8))", active: "/items", html)
    }

    static func workflowButton(_ req: Request, id: String, action: String, label: String, confirm: String? = nil) -> String {
        "<form method=\"post\" action=\"/items/\(id)/workflow\" class=\"inline\"\(confirm.map { " data-confirm=\"\(esc($0))\"" } ?? "")>\(H.csrf(req))<input type=\"hidden\" name=\"action\" value=\"\(action)\"><button type=\"submit\" id=\"wf-\(action)\">\(esc(label))</button></form>"
    }

    @Sendable static func editForm(req: Request) async throws -> Response {
        let item = try await ItemBankStore.find(try itemID(req), on: req.db)
        let version = try await ItemBankStore.latest(item, on: req.db)
        let c = try await ItemBankStore.readContent(versionID: version.id!, reader: try req.requireUser().actor,
                                                    sealer: try req.sealer(), on: req.db, time: req.time)
        let correct = ItemAnswer.format(c, type: item.type, trueFalse: ("对", "错"))
        let form = ItemForm(target: "\(item.standardID.uuidString)|\(item.level)|\(item.part)|\(item.scopeCode)|\(item.elementCode)",
                            scopeCode: item.scopeCode, elementCode: item.elementCode, type: item.itemType, stem: c.stem,
                            options: (c.options ?? []).joined(separator: "\n"), correct: correct,
                            acceptedAnswers: (c.acceptedAnswers ?? []).joined(separator: "\n"), explanation: c.explanation,
                            difficulty: String(version.difficulty), source: version.source, tags: version.tags,
                            preparation: c.task?.preparation, minutes: c.task.map { String($0.minutes) },
                            criteria: c.task?.criteria.map { "\($0.text) | \($0.points) | \($0.deduction ?? "") | \($0.veto ? "否决" : "")" }.joined(separator: "\n"))
        return try await renderForm(req, form: form, action: "/items/\(item.id!.uuidString)", errors: [],
                                    fixedTarget: "\(item.scopeCode)-\(item.elementCode)")
    }

    @Sendable static func update(req: Request) async throws -> Response {
        let id = try itemID(req)
        var form = try req.content.decode(ItemForm.self)
        let item = try await ItemBankStore.find(id, on: req.db)
        form.type = item.itemType
        do {
            try await ItemBankStore.update(itemID: id, input: try input(from: form), actor: try req.requireUser().actor,
                                           sealer: try req.sealer(), on: req.db, time: req.time)
        } catch let failure as ValidationFailure {
            return try await renderForm(req, form: form, action: "/items/\(id.uuidString)", errors: failure.errors,
                                        fixedTarget: "\(item.scopeCode)-\(item.elementCode)", status: .unprocessableEntity)
        }
        return req.redirect(to: "/items/\(id.uuidString)?done=\(req.tr("已保存", "Saved").urlQueryEncoded)")
    }

    struct WorkflowForm: Content {
        var action: String?
        var reason: String?
        var enemy: String?
    }

    @Sendable static func workflow(req: Request) async throws -> Response {
        let id = try itemID(req)
        let form = try req.content.decode(WorkflowForm.self)
        guard let action = ItemWorkflow.Action(rawValue: form.action ?? "") else {
            throw WebError.badField("action", zh: "操作无效", en: "unknown action")
        }
        try await ItemBankStore.act(action, itemID: id, reason: form.reason, actor: try req.requireUser().actor, on: req.db,
                                    time: req.time)
        return req.redirect(to: "/items/\(id.uuidString)?done=\(req.tr("已完成", "Done").urlQueryEncoded)")
    }

    @Sendable static func addEnemy(req: Request) async throws -> Response {
        let id = try itemID(req)
        let form = try req.content.decode(WorkflowForm.self)
        let text = (form.enemy ?? "").trimmingCharacters(in: .whitespaces)
        // Accept a full id or the 8-character prefix the pages show.
        let other: UUID?
        if let full = UUID(uuidString: text) {
            other = full
        } else if text.count >= 8 {
            other = try await StoredItem.query(on: req.db).all().first { $0.id!.uuidString.hasPrefix(text.uppercased()) }?.id
        } else {
            other = nil
        }
        guard let other else { throw WebError.badField("enemy", code: "not_found", zh: "找不到该试题", en: "no such item") }
        try await ItemBankStore.addEnemy(id, other, actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/items/\(id.uuidString)?done=\(req.tr("已添加互斥试题", "Enemy added").urlQueryEncoded)")
    }

    @Sendable static func removeEnemy(req: Request) async throws -> Response {
        let id = try itemID(req)
        guard let other = req.parameters.get("other").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "item") }
        try await ItemBankStore.removeEnemy(id, other, actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/items/\(id.uuidString)?done=\(req.tr("已解除互斥", "Pair removed").urlQueryEncoded)")
    }

    struct ItemSummaryDTO: Content {
        var id: UUID
        var standardId: UUID
        var level: Int
        var part: String
        var scope: String
        var element: String
        var type: String
        var version: Int
        var status: String
        var difficulty: Double
        var uses: Int
    }

    struct ItemDTO: Content {
        var summary: ItemSummaryDTO
        var content: ItemContent
    }

    static func summary(_ r: ItemBankStore.Row) -> ItemSummaryDTO {
        ItemSummaryDTO(id: r.item.id!, standardId: r.item.standardID, level: r.item.level, part: r.item.part,
                       scope: r.item.scopeCode, element: r.item.elementCode, type: r.item.itemType, version: r.version.version,
                       status: r.version.status, difficulty: r.version.difficulty, uses: r.uses)
    }

    @Sendable static func apiList(req: Request) async throws -> [ItemSummaryDTO] {
        try await ItemBankStore.list(try parseFilter(req), page: 1, perPage: 10_000, on: req.db).rows.map(summary)
    }

    @Sendable static func apiShow(req: Request) async throws -> ItemDTO {
        let item = try await ItemBankStore.find(try itemID(req), on: req.db)
        let version = try await ItemBankStore.latest(item, on: req.db)
        let content = try await ItemBankStore.readContent(versionID: version.id!, reader: try req.requireUser().actor,
                                                          sealer: try req.sealer(), on: req.db, time: req.time)
        return ItemDTO(summary: summary(.init(item: item, version: version, uses: 0)), content: content)
    }
}
