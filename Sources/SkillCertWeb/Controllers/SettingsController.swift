import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// The certification body's registration data and the configurable rules.
enum SettingsController {
    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "settings/body", access: .anyOf(Roles.staff), use: bodyPage)
        r.endpoint(.POST, "settings/body", access: .anyOf(Roles.admin), use: bodySave)
        r.endpoint(.GET, "settings/rules", access: .anyOf(Roles.staff), use: rulesPage)
        r.endpoint(.POST, "settings/rules", access: .anyOf(Roles.admin), use: rulesSave)
        r.endpoint(.GET, "api/v1/body", access: .anyOf(Roles.staff),
                   api: APIDoc("The certification body", tag: "settings", response: "Body", errors: [404]), use: apiBody)
        r.endpoint(.PUT, "api/v1/body", access: .anyOf(Roles.admin),
                   api: APIDoc("Set the certification body's registration data and sites", tag: "settings",
                               request: "BodyUpdateRequest", response: "Body", errors: [400, 415, 422]),
                   use: apiBodyUpdate)
        r.endpoint(.GET, "api/v1/settings", access: .anyOf(Roles.staff),
                   api: APIDoc("The configurable rules with their values and defaults", tag: "settings",
                               response: "SettingList"), use: apiSettings)
        r.endpoint(.PUT, "api/v1/settings/:key", access: .anyOf(Roles.admin),
                   api: APIDoc("Change one rule", tag: "settings", request: "SettingUpdateRequest", response: "Setting",
                               errors: [400, 404, 415, 422]),
                   use: apiSettingUpdate)
    }

    struct SiteForm: Content {
        var code: String?
        var name: String?
        var address: String?
    }

    struct BodyForm: Content {
        var type: String?
        var code: String?
        var name: String?
        var provinceCode: String?
        var sites: [SiteForm]?
        var reason: String?
    }

    /// The body's data; administrators edit it.
    @Sendable static func bodyPage(req: Request) async throws -> Response {
        let body = try await BodyStore.load(on: req.db)
        let form = BodyForm(type: body?.type.rawValue ?? "S", code: body?.code ?? "", name: body?.name ?? "",
                            provinceCode: body?.provinceCode ?? "",
                            sites: (body?.sites ?? []).map { SiteForm(code: $0.code, name: $0.name, address: $0.address) })
        return renderBody(req, form: form, errors: [])
    }

    static func renderBody(_ req: Request, form: BodyForm, errors: [FieldError], status: HTTPResponseStatus = .ok) -> Response {
        let editable = Layout.allowed("/settings/body", req: req) && req.signedIn?.roles.contains(.administrator) == true
        let provinces = [("", req.tr("请选择", "Choose"))] + HolidayData.provinces().map { ($0.code, "\($0.code) \($0.name)") }
        let types = CertificationBody.BodyType.allCases.map { ($0.rawValue, "\($0.rawValue) — \(req.tr($0.nameZH, $0.nameEN))") }
        var sites = form.sites ?? []
        sites += Array(repeating: SiteForm(), count: 2)
        let siteRows = sites.enumerated().map { i, s in
            func input(_ key: String, _ value: String?, _ size: String) -> String {
                let name = "sites[\(i)][\(key)]"
                let bad = errors.contains { $0.field == "sites[\(i)].\(key)" }
                return "<input name=\"\(name)\" value=\"\(esc(value ?? ""))\" style=\"min-width:\(size)\"\(bad ? " class=\"bad\" aria-invalid=\"true\"" : "")\(editable ? "" : " readonly")>"
            }
            return "<tr><td>\(i + 1)</td><td>\(input("code", s.code, "7rem"))</td><td>\(input("name", s.name, "14rem"))</td><td>\(input("address", s.address, "22rem"))</td></tr>"
        }.joined()
        let content = """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <p class="muted">\(req.tr("机构类型、机构代码、省份代码和站点代码构成证书编号的前 13 位。", "Body type, body code, province and site codes make the first 13 characters of certificate numbers."))</p>
            <form method="post" action="/settings/body">\(H.csrf(req))
            \(H.select(req.tr("机构类型", "Body type"), name: "type", options: types, selected: form.type ?? "S", errors: errors, req: req))
            \(H.field(req.tr("机构代码（4 位）", "Body code (4 digits)"), name: "code", value: form.code ?? "", required: true, errors: errors, req: req, attrs: "inputmode=\"numeric\" maxlength=\"4\"", hint: req.tr("在省级登记的机构可使用 0000", "0000 for provincially registered bodies")))
            \(H.field(req.tr("机构名称（与登记一致）", "Name as registered"), name: "name", value: form.name ?? "", required: true, errors: errors, req: req))
            \(H.select(req.tr("所在省份", "Province"), name: "provinceCode", options: provinces, selected: form.provinceCode ?? "", errors: errors, req: req))
            <h2>\(req.tr("认定站点", "Sites"))</h2><p class="hint">\(req.tr("留空的行不保存；删除站点请清空该行。", "Blank rows are ignored; clear a row to remove a site."))</p>
            <table><thead><tr><th>#</th><th>\(req.tr("站点代码（6 位）", "Site code (6 digits)"))</th><th>\(req.tr("名称", "Name"))</th><th>\(req.tr("地址", "Address"))</th></tr></thead><tbody>\(siteRows)</tbody></table>
            \(editable ? H.field(req.tr("变更原因", "Reason for the change"), name: "reason", value: form.reason ?? "", errors: errors, req: req) + "<div class=\"actions\"><button type=\"submit\" id=\"save-body\">\(req.tr("保存", "Save"))</button></div>" : "<p class=\"muted\">\(req.tr("仅系统管理员可修改。", "Only administrators can change this."))</p>")
            </form>
            """
        let response = Layout.page(req, title: req.tr("机构信息", "Certification body"), active: "/settings/body", content)
        response.status = status
        return response
    }

    static func body(from form: BodyForm) throws -> CertificationBody {
        guard let type = CertificationBody.BodyType(rawValue: form.type ?? "") else {
            throw ValidationFailure([FieldError(code: "invalid_value", field: "type", zh: "机构类型应为 Y 或 S",
                                                en: "type must be Y or S")])
        }
        let sites = (form.sites ?? []).filter { !(($0.code ?? "") + ($0.name ?? "") + ($0.address ?? "")).trimmingCharacters(in: .whitespaces).isEmpty }
            .map { CertificationBody.Site(code: ($0.code ?? "").trimmingCharacters(in: .whitespaces),
                                          name: $0.name ?? "", address: $0.address ?? "") }
        return CertificationBody(type: type, code: (form.code ?? "").trimmingCharacters(in: .whitespaces), name: form.name ?? "",
                                 provinceCode: form.provinceCode ?? "", sites: sites)
    }

    /// Saves the body's data.
    @Sendable static func bodySave(req: Request) async throws -> Response {
        let form = try req.content.decode(BodyForm.self)
        do {
            try await BodyStore.save(try body(from: form), reason: form.reason, on: req.db,
                                     actor: try req.requireUser().actor, time: req.time)
        } catch let failure as ValidationFailure {
            return renderBody(req, form: form, errors: failure.errors, status: .unprocessableEntity)
        }
        return req.redirect(to: "/settings/body?done=\(req.tr("已保存机构信息", "Saved").urlQueryEncoded)")
    }

    /// The rules with their values; administrators change them with a reason.
    @Sendable static func rulesPage(req: Request) async throws -> Response {
        try await renderRules(req, errors: [])
    }

    static func renderRules(_ req: Request, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let values = try await SettingsStore.all(on: req.db)
        let basis = try await RegulationStore.basis(on: req.db)
        let editable = req.signedIn?.roles.contains(.administrator) == true
        let rows = SettingKey.allCases.map { k in
            let v = values[k] ?? k.defaultValue
            let bad = errors.first { $0.field == k.rawValue }
            return "<tr><td>\(esc(req.tr(k.labelZH, k.labelEN)))<div class=\"muted mono\">\(k.rawValue)</div>\(basis[k].map { "<div class=\"basis\"><a href=\"/regulations/\($0.id!.uuidString)\">\(req.tr("依据", "Per"))：《\(esc($0.title))》</a></div>" } ?? "")</td><td><input type=\"number\" name=\"\(k.rawValue)\" value=\"\(v)\" min=\"\(k.allowedRange.lowerBound)\" max=\"\(k.allowedRange.upperBound)\"\(editable ? "" : " readonly")>\(bad.map { "<p class=\"field-error\">\(esc(req.message($0)))</p>" } ?? "")</td><td>\(k.defaultValue)</td><td>\(k.allowedRange.lowerBound)–\(k.allowedRange.upperBound)</td></tr>"
        }.joined()
        let content = """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <p class="muted">\(req.tr("以下规则的默认值来自国家规定或通行做法；本机构可按实施细则调整，每次调整都记入审计日志。", "Defaults follow the national rules or common practice; the body may change them, and each change is audited."))</p>
            <form method="post" action="/settings/rules">\(H.csrf(req))
            <table><thead><tr><th>\(req.tr("规则", "Rule"))</th><th>\(req.tr("当前值", "Value"))</th><th>\(req.tr("默认值", "Default"))</th><th>\(req.tr("允许范围", "Allowed"))</th></tr></thead><tbody>\(rows)</tbody></table>
            \(editable ? H.field(req.tr("调整原因", "Reason"), name: "reason", required: true, errors: errors, req: req) + "<div class=\"actions\"><button type=\"submit\">\(req.tr("保存", "Save"))</button></div>" : "")
            </form>
            """
        let response = Layout.page(req, title: req.tr("规则参数", "Rules"), active: "/settings/rules", content)
        response.status = status
        return response
    }

    /// Saves every changed rule; all values are checked before any is written.
    @Sendable static func rulesSave(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let reason = ((try? req.content.get(String.self, at: "reason")) ?? "").trimmingCharacters(in: .whitespaces)
        var errors: [FieldError] = []
        var changes: [(SettingKey, Int)] = []
        for key in SettingKey.allCases {
            guard let text = try? req.content.get(String.self, at: key.rawValue) else { continue }
            if let v = Int(text.trimmingCharacters(in: .whitespaces)), key.allowedRange.contains(v) {
                changes.append((key, v))
            } else {
                errors.append(FieldError(code: "out_of_range", field: key.rawValue,
                                         zh: "“\(key.labelZH)”应为 \(key.allowedRange.lowerBound)–\(key.allowedRange.upperBound) 之间的整数",
                                         en: "\(key.rawValue) must be a whole number from \(key.allowedRange.lowerBound) to \(key.allowedRange.upperBound)"))
            }
        }
        if reason.isEmpty { errors.append(.required("reason", label: req.tr("调整原因", "reason"))) }
        guard errors.isEmpty else { return try await renderRules(req, errors: errors, status: .unprocessableEntity) }
        for (key, value) in changes {
            try await SettingsStore.set(key, to: value, reason: reason, on: req.db, actor: user.actor, time: req.time)
        }
        return req.redirect(to: "/settings/rules?done=\(req.tr("已保存", "Saved").urlQueryEncoded)")
    }

    /// `GET /api/v1/body`.
    @Sendable static func apiBody(req: Request) async throws -> CertificationBody {
        guard let body = try await BodyStore.load(on: req.db) else { throw DomainError.notFound(what: "body") }
        return body
    }

    /// `PUT /api/v1/body`.
    @Sendable static func apiBodyUpdate(req: Request) async throws -> CertificationBody {
        let input = try req.decodeJSON(BodyUpdateRequest.self)
        guard let type = CertificationBody.BodyType(rawValue: input.type) else {
            throw WebError.badField("type", zh: "机构类型应为 Y 或 S", en: "type must be Y or S")
        }
        let body = CertificationBody(type: type, code: input.code, name: input.name, provinceCode: input.provinceCode,
                                     sites: input.sites)
        try await BodyStore.save(body, reason: input.reason, on: req.db, actor: try req.requireUser().actor, time: req.time)
        return try await apiBody(req: req)
    }

    static func dto(_ key: SettingKey, value: Int, req: Request) -> SettingDTO {
        SettingDTO(key: key.rawValue, value: value, defaultValue: key.defaultValue,
                   minimum: key.allowedRange.lowerBound, maximum: key.allowedRange.upperBound, label: key.labelEN)
    }

    /// `GET /api/v1/settings`.
    @Sendable static func apiSettings(req: Request) async throws -> [SettingDTO] {
        let values = try await SettingsStore.all(on: req.db)
        return SettingKey.allCases.map { dto($0, value: values[$0] ?? $0.defaultValue, req: req) }
    }

    /// `PUT /api/v1/settings/{key}`.
    @Sendable static func apiSettingUpdate(req: Request) async throws -> SettingDTO {
        guard let key = SettingKey(rawValue: req.parameters.get("key") ?? "") else {
            throw WebError(.notFound, code: "unknown_setting", zh: "没有该规则", en: "no such setting", field: "key")
        }
        let input = try req.decodeJSON(SettingUpdateRequest.self)
        try await SettingsStore.set(key, to: input.value, reason: input.reason ?? "", on: req.db,
                                    actor: try req.requireUser().actor, time: req.time)
        return dto(key, value: try await SettingsStore.value(key, on: req.db), req: req)
    }
}
