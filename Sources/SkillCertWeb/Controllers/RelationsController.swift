import Fluent
import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// Staff declare their relations to candidates (回避); review refuses to let them act on those candidates.
enum RelationsController {
    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "me/relations", access: .anyOf(Roles.staff), use: page)
        r.endpoint(.POST, "me/relations", access: .anyOf(Roles.staff), use: declare)
        r.endpoint(.POST, "me/relations/:id/withdraw", access: .anyOf(Roles.staff), use: withdraw)
    }

    struct DeclareForm: Content {
        var kind: String?
        var idNumber: String?
        var employer: String?
        var note: String?
    }

    /// The staff member's declarations and the form to add one.
    @Sendable static func page(req: Request) async throws -> Response {
        try await render(req, form: DeclareForm(), errors: [])
    }

    static func render(_ req: Request, form f: DeclareForm, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let mine = try await RelationStore.declared(by: req.requireUser().id, on: req.db)
        let rows = mine.map { r in
            "<tr><td>\(esc(r.kindValue.nameZH))</td><td class=\"mono\">\(esc(r.idNumberMasked ?? ""))</td><td>\(esc(r.employer ?? ""))</td><td>\(esc(r.note))</td><td>\(H.time(r.createdAt))</td><td><form method=\"post\" action=\"/me/relations/\(r.id!.uuidString)/withdraw\" data-confirm=\"\(req.tr("确定撤回这条回避申报？", "Withdraw this declaration?"))\">\(H.csrf(req))<button type=\"submit\" class=\"secondary\">\(req.tr("撤回", "Withdraw"))</button></form></td></tr>"
        }.joined()
        let kinds = DeclaredRelation.Kind.allCases.map { ($0.rawValue, $0.nameZH) }
        let content = """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <p class="muted">\(req.tr("与考生存在同一单位、亲属、师生等关系的，应主动申报。系统将阻止您审核、评分或督导这些考生。", "Declare any relation to a candidate; you will not be able to review, score or supervise them."))</p>
            <table><thead><tr><th>\(req.tr("关系", "Relation"))</th><th>\(req.tr("考生证件号码", "Candidate ID"))</th><th>\(req.tr("单位", "Employer"))</th><th>\(req.tr("说明", "Note"))</th><th>\(req.tr("申报时间", "Declared"))</th><th></th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"6\" class=\"muted\">\(req.tr("尚未申报", "None declared"))</td></tr>" : rows)</tbody></table>
            <h2>\(req.tr("新增申报", "Declare"))</h2>
            <form method="post" action="/me/relations">\(H.csrf(req))
            \(H.select(req.tr("关系", "Relation"), name: "kind", options: kinds, selected: f.kind ?? "relative", errors: errors, req: req))
            \(H.field(req.tr("考生证件号码", "Candidate's document number"), name: "idNumber", value: f.idNumber ?? "", errors: errors, req: req, attrs: "autocomplete=\"off\""))
            \(H.field(req.tr("或：单位名称（仅“同一单位”）", "Or the employer (same employer only)"), name: "employer", value: f.employer ?? "", errors: errors, req: req))
            \(H.field(req.tr("说明", "Note"), name: "note", value: f.note ?? "", errors: errors, req: req))
            <div class="actions"><button type="submit" id="declare">\(req.tr("申报", "Declare"))</button></div></form>
            """
        let response = Layout.page(req, title: req.tr("回避申报", "Declared relations"), content)
        response.status = status
        return response
    }

    @Sendable static func declare(req: Request) async throws -> Response {
        let f = try req.content.decode(DeclareForm.self)
        guard let kind = DeclaredRelation.Kind(rawValue: f.kind ?? "") else {
            return try await render(req, form: f, errors: [FieldError(code: "invalid_value", field: "kind", zh: "请选择关系", en: "choose a relation")],
                                    status: .unprocessableEntity)
        }
        do {
            try await RelationStore.declare(staff: try req.requireUser().actor, kind: kind, idNumber: f.idNumber ?? "", employer: f.employer ?? "",
                                            note: f.note ?? "", sealer: try req.sealer(), on: req.db, time: req.time)
        } catch let failure as ValidationFailure {
            return try await render(req, form: f, errors: failure.errors, status: .unprocessableEntity)
        }
        return req.redirect(to: "/me/relations?done=\(req.tr("已申报", "Declared").urlQueryEncoded)")
    }

    @Sendable static func withdraw(req: Request) async throws -> Response {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "relation") }
        try await RelationStore.withdraw(id, staff: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/me/relations?done=\(req.tr("已撤回", "Withdrawn").urlQueryEncoded)")
    }
}
