import Fluent
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import Vapor

/// Batch registration: the template, the upload page with its error report, and the streaming API import.
enum RegistrationsController {
    static let importers: Set<Role> = [.administrator, .examAffairs]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "plans/:id/registrations", access: .anyOf(importers), use: page)
        r.endpoint(.GET, "plans/:id/registrations/template.xlsx", access: .anyOf(importers), use: template)
        r.endpoint(.POST, "plans/:id/registrations/import", access: .anyOf(importers), body: .stream, use: importPage)
        r.endpoint(.POST, "api/v1/plans/:id/registrations/import", access: .anyOf(importers),
                   api: APIDoc("Import a batch registration file (XLSX, or CSV in UTF-8 or GBK) into a plan; all rows or none",
                               tag: "registration", status: 201, response: "RegistrationImportReport", errors: [404, 409, 413, 422],
                               requestMediaTypes: ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv"]),
                   body: .stream, use: importAPI)
    }

    static func plan(_ req: Request) async throws -> StoredPlan {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "plan") }
        return try await PlanStore.find(id, on: req.db)
    }

    /// The template: the columns in order with a notes sheet, and one sample row labelled as such.
    @Sendable static func template(req: Request) async throws -> Response {
        let columns = RegistrationImport.columns
        let sample: [String: String] = ["姓名": "张三（示例，请删除）", "证件类型": "居民身份证", "证件号码": "11010519491231002X",
                                        "手机号码": "13800138000", "工作单位": "示例供电公司", "申报等级": "四级",
                                        "本职业工作开始日期": "2018-07-01", "学历": "大专/专科", "专业与本职业关系": "相关",
                                        "毕业日期": "2018-06-30"]
        let sheet = Worksheet(name: "报名名单", header: columns.map { $0.required ? $0.header + "*" : $0.header },
                              rows: [columns.map { sample[$0.header].map(CellValue.text) ?? .empty }])
        let notes = Worksheet(name: "填写说明", header: ["列", "是否必填", "说明"],
                              rows: columns.map { [.text($0.header), .text($0.required ? "必填" : "选填"), .text($0.note)] }
                                + [[.text("整体"), .text(""), .text("第一行为表头，不要合并单元格，不要使用公式；日期可用 YYYY-MM-DD 或 Excel 日期格式。整个文件校验通过才会导入，任何一行有误则全部不导入。也可另存为 CSV（UTF-8 或 GBK 编码）上传。")]])
        return try xlsxResponse(sheet, notes, filename: "registration-template.xlsx")
    }

    /// The upload page for one plan, with its earlier batches.
    @Sendable static func page(req: Request) async throws -> Response {
        try await render(req, plan: try await plan(req), report: nil)
    }

    static func render(_ req: Request, plan row: StoredPlan, report: RegistrationImport.Report?, status: HTTPResponseStatus = .ok) async throws -> Response {
        let id = try row.requireID().uuidString
        let batches = try await RegistrationBatch.query(on: req.db).filter(\.$planID == row.requireID()).sort(\.$createdAt, .descending).all()
        var outcome = ""
        if let report, report.errors.isEmpty {
            outcome = "<div class=\"alert alert-ok\" id=\"import-done\">\(req.tr("已导入 \(report.imported) 份报名（新建考生 \(report.newCandidates) 人），均进入资格审核队列。", "Imported \(report.imported) applications (\(report.newCandidates) new candidates)."))</div>"
        } else if let report {
            let rows = report.errors.map { e in
                "<tr><td>\(e.row == 0 ? "—" : String(e.row))</td><td>\(esc(e.column))</td><td>\(esc(req.tr(e.messageZH, e.messageEN)))</td></tr>"
            }.joined()
            outcome = """
                <div class="alert alert-error" id="import-errors"><strong>\(req.tr("文件有误，未导入任何数据。请修改后重新上传：", "The file has problems; nothing was imported:"))</strong>
                <table><thead><tr><th>\(req.tr("行", "Row"))</th><th>\(req.tr("列", "Column"))</th><th>\(req.tr("问题", "Problem"))</th></tr></thead><tbody>\(rows)</tbody></table></div>
                """
        }
        let history = batches.map { "<tr><td>\(H.time($0.createdAt))</td><td>\(esc($0.fileName))</td><td>\($0.rows)</td><td class=\"mono\">\(esc(String($0.fileSHA256.prefix(16))))…</td></tr>" }.joined()
        let content = """
            <p>\(esc(row.title))（\(esc(row.number))）</p>
            \(outcome)
            <p>\(req.tr("用人单位或院校的集体报名：下载模板，按“填写说明”填写后上传（.xlsx，或 UTF-8/GBK 编码的 .csv）。每一行都会校验证件号码校验码、重复报名、日期和选项；任何一行有误，整个文件都不导入。", "Batch registration: fill in the template and upload it (.xlsx, or .csv in UTF-8 or GBK). Every row is checked; any error and nothing is imported."))</p>
            <div class="actions"><a class="button secondary" href="/plans/\(id)/registrations/template.xlsx" id="template">\(req.tr("下载报名模板", "Download the template"))</a></div>
            <form method="post" action="/plans/\(id)/registrations/import?_csrf=\(esc(req.csrfToken))" enctype="multipart/form-data">
            <div class="field"><label for="f-file">\(req.tr("报名文件", "File"))</label><input id="f-file" type="file" name="file" accept=".xlsx,.csv" required></div>
            <div class="actions"><button type="submit" id="import" data-busy="\(req.tr("正在导入，请稍候…", "Importing…"))">\(req.tr("上传并导入", "Upload and import"))</button></div></form>
            <h2>\(req.tr("已导入的批次", "Imported batches"))</h2>
            <table><thead><tr><th>\(req.tr("时间", "Time"))</th><th>\(req.tr("文件", "File"))</th><th>\(req.tr("报名数", "Applications"))</th><th>SHA-256</th></tr></thead>
            <tbody>\(history.isEmpty ? "<tr><td colspan=\"4\" class=\"muted\">\(req.tr("暂无", "None yet"))</td></tr>" : history)</tbody></table>
            <p><a href="/review?plan=\(id)">\(req.tr("查看本计划的资格审核队列", "Review queue for this plan"))</a></p>
            """
        let response = Layout.page(req, title: req.tr("集体报名", "Batch registration"), active: "/plans", content)
        response.status = status
        return response
    }

    /// Runs the import of a spooled file; a damaged or unreadable file becomes a one-line report.
    static func run(_ upload: SpooledUpload, plan row: StoredPlan, req: Request) async throws -> RegistrationImport.Report {
        defer { upload.remove() }
        do {
            return try await RegistrationImport.run(planID: row.requireID(), fileName: upload.fileName, fileSHA256: upload.sha256,
                                                    rows: TableRowStream.chunks(fileAt: upload.url), actor: try req.requireUser().actor,
                                                    sealer: try req.sealer(), on: req.db, direct: req.application.sqliteDirectWrites,
                                                    time: req.time)
        } catch let e as SpreadsheetError {
            let where_ = e.cell.map { "（\($0)）" } ?? ""
            return RegistrationImport.Report(imported: 0, newCandidates: 0, errors: [
                RegistrationImport.RowError(row: 0, column: e.cell ?? "", code: e.code, zh: e.messageZH + where_, en: e.messageEN),
            ], batchID: nil, rows: 0)
        }
    }

    /// The page upload: streamed to disk, imported, and the report shown.
    @Sendable static func importPage(req: Request) async throws -> Response {
        let row = try await plan(req)
        let upload = try await UploadSpool.multipart(req)
        let report = try await run(upload, plan: row, req: req)
        return try await render(req, plan: row, report: report, status: report.errors.isEmpty ? .ok : .unprocessableEntity)
    }

    struct ImportResult: Content {
        var batchId: UUID
        var imported: Int
        var newCandidates: Int
        var rows: Int
    }

    /// `POST /api/v1/plans/{id}/registrations/import`: the body is the file.
    @Sendable static func importAPI(req: Request) async throws -> Response {
        let row = try await plan(req)
        let name = req.headers.contentDisposition?.filename ?? "upload"
        let report = try await run(try await UploadSpool.raw(req, fileName: name), plan: row, req: req)
        guard report.errors.isEmpty, let batchID = report.batchID else {
            let body = APIErrorBody(error: .init(
                code: "import_rejected", message: "the file has \(report.errors.count) problem(s); nothing was imported", field: nil,
                details: report.errors.map { .init(code: $0.code, message: $0.messageEN, field: nil, row: $0.row, column: $0.column) }))
            let response = Response(status: .unprocessableEntity)
            try response.content.encode(body, as: .json)
            return response
        }
        let response = Response(status: .created)
        try response.content.encode(ImportResult(batchId: batchID, imported: report.imported, newCandidates: report.newCandidates,
                                                 rows: report.rows), as: .json)
        return response
    }
}
