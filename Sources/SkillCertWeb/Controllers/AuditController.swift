import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import Vapor

/// The audit log: search, export and chain verification.
enum AuditController {
    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "audit", access: .anyOf(Roles.auditReaders), use: page)
        r.endpoint(.GET, "audit/export.xlsx", access: .anyOf(Roles.auditReaders), use: export)
        r.endpoint(.GET, "audit/verify", access: .anyOf(Roles.auditReaders), use: verifyPage)
        r.endpoint(.GET, "api/v1/audit", access: .anyOf(Roles.auditReaders),
                   api: APIDoc("Audit entries, newest first", tag: "audit", response: "AuditPage",
                               query: [.init("action", "string", "action starts with"),
                                       .init("actor", "string", "actor name contains"),
                                       .init("targetType", "string", "target type"),
                                       .init("targetId", "string", "target id"),
                                       .init("page", "integer", "page number, from 1", minimum: 1, maximum: 1_000_000),
                                       .init("perPage", "integer", "1–200, default 50", minimum: 1, maximum: 200)],
                               errors: [400]),
                   use: apiList)
        r.endpoint(.GET, "api/v1/audit/verify", access: .anyOf(Roles.auditReaders),
                   api: APIDoc("Walk the hash chain and report the first entry that does not match", tag: "audit",
                               response: "AuditVerification"),
                   use: apiVerify)
    }

    static func filter(_ req: Request) -> AuditQueries.Filter {
        AuditQueries.Filter(action: req.query[String.self, at: "action"], actor: req.query[String.self, at: "actor"],
                            targetType: req.query[String.self, at: "targetType"],
                            targetID: req.query[String.self, at: "targetId"])
    }

    /// Filtered, paged entries.
    @Sendable static func page(req: Request) async throws -> Response {
        let paging = try Paging(req)
        let f = filter(req)
        let (entries, total) = try await AuditQueries.page(f, page: paging.page, perPage: paging.perPage, on: req.db)
        let types = try await AuditQueries.targetTypes(on: req.db)
        let rows = entries.map { e -> String in
            "<tr><td>\(e.id ?? 0)</td><td>\(esc(e.occurredAt))</td><td>\(esc(e.actorName))</td><td><code>\(esc(e.action))</code></td><td>\(esc(e.targetType))<div class=\"muted mono\">\(esc(e.targetID ?? ""))</div></td><td>\(esc(e.details))</td><td>\(esc(e.reason ?? ""))</td><td class=\"mono\" title=\"\(esc(e.hash))\">\(esc(String(e.hash.prefix(12))))</td></tr>"
        }.joined()
        let typeOptions = [("", req.tr("全部", "All"))] + types.map { ($0, $0) }
        let exportQuery = URLComponents(string: req.url.string)?.percentEncodedQuery.map { "?" + $0 } ?? ""
        let content = """
            <p class="muted">\(req.tr("审计日志只能追加：每条记录包含上一条的哈希，任何修改都会在校验时暴露。时间为 UTC。", "Append-only: each entry carries the previous entry's hash, so any alteration shows on verification. Times are UTC."))</p>
            <form class="filters" method="get" action="/audit">
            \(H.field(req.tr("操作（前缀）", "Action (prefix)"), name: "action", value: f.action ?? "", req: req))
            \(H.field(req.tr("操作人", "Actor"), name: "actor", value: f.actor ?? "", req: req))
            \(H.select(req.tr("对象类型", "Target type"), name: "targetType", options: typeOptions, selected: f.targetType ?? "", req: req))
            <button type="submit">\(req.tr("筛选", "Filter"))</button></form>
            <div class="actions"><a class="button" href="/audit/verify" id="verify-chain">\(req.tr("校验哈希链", "Verify the chain"))</a>
            <a class="button secondary" href="/audit/export.xlsx\(esc(exportQuery))">\(req.tr("导出 XLSX", "Export XLSX"))</a></div>
            <table><thead><tr><th>#</th><th>\(req.tr("时间", "Time"))</th><th>\(req.tr("操作人", "Actor"))</th><th>\(req.tr("操作", "Action"))</th><th>\(req.tr("对象", "Target"))</th><th>\(req.tr("内容", "Details"))</th><th>\(req.tr("原因", "Reason"))</th><th>\(req.tr("哈希", "Hash"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"8\" class=\"muted\">\(req.tr("没有记录", "No entries"))</td></tr>" : rows)</tbody></table>
            \(H.pager(req, page: paging.page, perPage: paging.perPage, total: total))
            """
        return Layout.page(req, title: req.tr("审计日志", "Audit log"), active: "/audit", content)
    }

    /// The filtered entries as a spreadsheet (at most 100,000 rows).
    @Sendable static func export(req: Request) async throws -> Response {
        let (entries, _) = try await AuditQueries.page(filter(req), page: 1, perPage: 100_000, on: req.db)
        let sheet = Worksheet(
            name: req.tr("审计日志", "Audit log"),
            header: ["#", req.tr("时间 (UTC)", "Time (UTC)"), req.tr("操作人", "Actor"), req.tr("操作人 ID", "Actor id"),
                     req.tr("操作", "Action"), req.tr("对象类型", "Target type"), req.tr("对象 ID", "Target id"),
                     req.tr("内容", "Details"), req.tr("原因", "Reason"), req.tr("变更前摘要", "Before digest"),
                     req.tr("变更后摘要", "After digest"), req.tr("上一条哈希", "Previous hash"), req.tr("哈希", "Hash")],
            rows: entries.map { e -> [CellValue] in
                [.number(Double(e.id ?? 0)), .text(e.occurredAt), .text(e.actorName), .text(e.actorID ?? ""),
                 .text(e.action), .text(e.targetType), .text(e.targetID ?? ""), .text(e.details), .text(e.reason ?? ""),
                 .text(e.beforeDigest ?? ""), .text(e.afterDigest ?? ""), .text(e.previousHash), .text(e.hash)]
            })
        return try xlsxResponse(sheet, filename: "audit-log.xlsx")
    }

    /// Verifies the chain and shows the outcome.
    @Sendable static func verifyPage(req: Request) async throws -> Response {
        let result = try await AuditLog.verify(on: req.db)
        let content: String
        switch result {
        case .success(let n):
            content = "<div class=\"alert alert-ok\" id=\"verify-result\">\(req.tr("校验通过：\(n) 条记录的哈希链完整。", "Verified: the chain of \(n) entries is intact."))</div>"
        case .failure(let broken):
            content = "<div class=\"alert alert-error\" id=\"verify-result\">\(req.tr("校验失败：第 \(broken.sequence) 条记录与哈希链不符。", "Verification failed at entry #\(broken.sequence)."))<br><code>\(esc(broken.explanation))</code></div>"
        }
        return Layout.page(req, title: req.tr("哈希链校验", "Chain verification"), active: "/audit",
                           content + "<p><a href=\"/audit\">\(req.tr("返回审计日志", "Back to the audit log"))</a></p>")
    }

    /// `GET /api/v1/audit`.
    @Sendable static func apiList(req: Request) async throws -> AuditPage {
        let paging = try Paging(req)
        let (entries, total) = try await AuditQueries.page(filter(req), page: paging.page, perPage: paging.perPage, on: req.db)
        return AuditPage(items: entries.map { AuditEntryDTO($0.record) }, total: total, page: paging.page,
                         perPage: paging.perPage)
    }

    /// `GET /api/v1/audit/verify`.
    @Sendable static func apiVerify(req: Request) async throws -> AuditVerification {
        switch try await AuditLog.verify(on: req.db) {
        case .success(let n): AuditVerification(ok: true, checked: n, brokenAt: nil, problem: nil)
        case .failure(let b): AuditVerification(ok: false, checked: b.sequence - 1, brokenAt: b.sequence, problem: b.explanation)
        }
    }
}
