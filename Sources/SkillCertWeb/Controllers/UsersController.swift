import FluentKit
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import Vapor

/// Accounts and roles, for administrators.
enum UsersController {
    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "admin/users", access: .anyOf(Roles.admin), use: list)
        r.endpoint(.GET, "admin/users/export.xlsx", access: .anyOf(Roles.admin), use: export)
        r.endpoint(.GET, "admin/users/new", access: .anyOf(Roles.admin), use: newForm)
        r.endpoint(.POST, "admin/users", access: .anyOf(Roles.admin), use: create)
        r.endpoint(.GET, "admin/users/:id", access: .anyOf(Roles.admin), use: show)
        r.endpoint(.POST, "admin/users/:id", access: .anyOf(Roles.admin), use: update)
        r.endpoint(.POST, "admin/users/:id/password", access: .anyOf(Roles.admin), use: resetPassword)
        r.endpoint(.POST, "admin/users/:id/unlock", access: .anyOf(Roles.admin), use: unlock)
        r.endpoint(.GET, "api/v1/users", access: .anyOf(Roles.admin),
                   api: APIDoc("List accounts", tag: "users", response: "UserPage",
                               query: [.init("q", "string", "username or name contains"),
                                       .init("role", "string", "holds this role"),
                                       .init("page", "integer", "page number, from 1", minimum: 1, maximum: 1_000_000),
                                       .init("perPage", "integer", "1–200, default 50", minimum: 1, maximum: 200)],
                               errors: [400]),
                   use: apiList)
        r.endpoint(.POST, "api/v1/users", access: .anyOf(Roles.admin),
                   api: APIDoc("Create an account", tag: "users", request: "UserCreateRequest", status: 201,
                               response: "User", errors: [400, 415, 422]),
                   use: apiCreate)
        r.endpoint(.GET, "api/v1/users/:id", access: .anyOf(Roles.admin),
                   api: APIDoc("One account", tag: "users", response: "User", errors: [400, 404]), use: apiShow)
        r.endpoint(.PUT, "api/v1/users/:id", access: .anyOf(Roles.admin),
                   api: APIDoc("Change an account's name, active flag and roles (a reason is required for roles and the active flag)",
                               tag: "users", request: "UserUpdateRequest", response: "User",
                               errors: [400, 404, 409, 415, 422]),
                   use: apiUpdate)
    }

    static func userID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw WebError(.notFound, code: "not_found", zh: "找不到该用户", en: "no such user", field: "id")
        }
        return id
    }

    static func optionalRole(_ req: Request) throws -> Role? {
        guard let name = req.query[String.self, at: "role"], !name.isEmpty else { return nil }
        guard let role = Role(rawValue: name) else {
            throw WebError.badField("role", code: "unknown_role", zh: "未知角色 \(name)", en: "unknown role '\(name)'")
        }
        return role
    }

    /// The list of accounts with search, role filter and pages.
    @Sendable static func list(req: Request) async throws -> Response {
        let paging = try Paging(req)
        let q = req.query[String.self, at: "q"] ?? ""
        let role = try optionalRole(req)
        let (users, total) = try await Accounts.page(search: q, role: role, page: paging.page, perPage: paging.perPage,
                                                     on: req.db)
        let now = req.time.now()
        let rows = users.map { u -> String in
            let roles = u.roles.sorted().map { "<span class=\"badge\">\(esc(req.tr($0.nameZH, $0.nameEN)))</span>" }.joined()
            let state = !u.isActive ? "<span class=\"badge bad\">\(req.tr("已停用", "inactive"))</span>"
                : LoginLockout.isLocked(until: u.lockedUntil, at: now) ? "<span class=\"badge bad\">\(req.tr("已锁定", "locked"))</span>"
                : "<span class=\"badge ok\">\(req.tr("正常", "active"))</span>"
            return "<tr><td><a href=\"/admin/users/\(u.id?.uuidString ?? "")\">\(esc(u.username))</a></td><td>\(esc(u.displayName))</td><td>\(roles)</td><td>\(state)</td><td>\(H.time(u.lastLoginAt))</td></tr>"
        }.joined()
        let roleOptions = [("", req.tr("全部角色", "All roles"))] + Role.allCases.map { ($0.rawValue, req.tr($0.nameZH, $0.nameEN)) }
        let exportQuery = URLComponents(string: req.url.string)?.percentEncodedQuery.map { "?" + $0 } ?? ""
        let content = """
            \(H.notice(req))
            <form class="filters" method="get" action="/admin/users">
            \(H.field(req.tr("搜索用户名或姓名", "Search username or name"), name: "q", value: q, req: req))
            \(H.select(req.tr("角色", "Role"), name: "role", options: roleOptions, selected: role?.rawValue ?? "", req: req))
            <button type="submit">\(req.tr("筛选", "Filter"))</button></form>
            <div class="actions"><a class="button" href="/admin/users/new" id="new-user">\(req.tr("新建用户", "New user"))</a>
            <a class="button secondary" href="/admin/users/export.xlsx\(esc(exportQuery))">\(req.tr("导出 XLSX", "Export XLSX"))</a></div>
            <table><thead><tr><th>\(req.tr("用户名", "Username"))</th><th>\(req.tr("姓名", "Name"))</th><th>\(req.tr("角色", "Roles"))</th><th>\(req.tr("状态", "State"))</th><th>\(req.tr("最近登录", "Last sign-in"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">\(req.tr("没有符合条件的用户", "No matching users"))</td></tr>" : rows)</tbody></table>
            \(H.pager(req, page: paging.page, perPage: paging.perPage, total: total))
            """
        return Layout.page(req, title: req.tr("用户与角色", "Users & roles"), active: "/admin/users", content)
    }

    /// The filtered list as a spreadsheet.
    @Sendable static func export(req: Request) async throws -> Response {
        let (users, _) = try await Accounts.page(search: req.query[String.self, at: "q"], role: try optionalRole(req),
                                                 page: 1, perPage: 100_000, on: req.db)
        let now = req.time.now()
        let sheet = Worksheet(
            name: req.tr("用户", "Users"),
            header: [req.tr("用户名", "Username"), req.tr("姓名", "Name"), req.tr("角色", "Roles"), req.tr("状态", "State"),
                     req.tr("最近登录", "Last sign-in"), req.tr("创建时间", "Created")],
            rows: users.map { u -> [CellValue] in
                [.text(u.username), .text(u.displayName),
                 .text(u.roles.sorted().map { req.tr($0.nameZH, $0.nameEN) }.joined(separator: "、")),
                 .text(!u.isActive ? req.tr("已停用", "inactive") : LoginLockout.isLocked(until: u.lockedUntil, at: now) ? req.tr("已锁定", "locked") : req.tr("正常", "active")),
                 .text(H.time(u.lastLoginAt)), .text(H.time(u.createdAt))]
            })
        return try xlsxResponse(sheet, filename: "users.xlsx")
    }

    static func roleCheckboxes(_ req: Request, selected: Set<Role>, errors: [FieldError]) -> String {
        let boxes = Role.allCases.map { r -> String in
            "<label class=\"badge\"><input type=\"checkbox\" name=\"roles[]\" value=\"\(r.rawValue)\"\(selected.contains(r) ? " checked" : "")> \(esc(req.tr(r.nameZH, r.nameEN)))</label>"
        }.joined(separator: " ")
        let err = errors.filter { $0.field == "roles" }.map { "<p class=\"field-error\">\(esc(req.message($0)))</p>" }.joined()
        return "<fieldset class=\"field\"><legend>\(req.tr("角色（可多选）", "Roles (one or more)"))</legend>\(boxes)\(err)</fieldset>"
    }

    struct UserForm: Content {
        var username: String?
        var displayName: String?
        var password: String?
        var roles: [String]?
        var isActive: String?
        var reason: String?
        var newPassword: String?
    }

    /// The form for a new account.
    @Sendable static func newForm(req: Request) async throws -> Response {
        newFormPage(req, form: UserForm(), errors: [])
    }

    static func newFormPage(_ req: Request, form: UserForm, errors: [FieldError],
                            status: HTTPResponseStatus = .ok) -> Response {
        let roles = Set((form.roles ?? []).compactMap(Role.init(rawValue:)))
        let content = """
            \(H.errorSummary(errors, req: req))
            <form method="post" action="/admin/users">\(H.csrf(req))
            \(H.field(req.tr("用户名", "Username"), name: "username", value: form.username ?? "", required: true, errors: errors, req: req, hint: req.tr("3–32 位小写字母、数字或 . _ -", "3–32 of a–z, 0–9, . _ -")))
            \(H.field(req.tr("姓名", "Name"), name: "displayName", value: form.displayName ?? "", required: true, errors: errors, req: req))
            \(H.field(req.tr("初始密码", "Initial password"), name: "password", type: "password", required: true, errors: errors, req: req, attrs: "autocomplete=\"new-password\""))
            \(roleCheckboxes(req, selected: roles, errors: errors))
            <div class="actions"><button type="submit" id="create-user">\(req.tr("创建", "Create"))</button> <a href="/admin/users">\(req.tr("取消", "Cancel"))</a></div></form>
            """
        let response = Layout.page(req, title: req.tr("新建用户", "New user"), active: "/admin/users", content)
        response.status = status
        return response
    }

    /// Creates an account from the form.
    @Sendable static func create(req: Request) async throws -> Response {
        let form = try req.content.decode(UserForm.self)
        let admin = try req.requireUser()
        do {
            let roles = try parseRoles(form.roles ?? [])
            let user = try await Accounts.create(
                .init(username: form.username ?? "", displayName: form.displayName ?? "", password: form.password ?? "",
                      roles: roles),
                hasher: req.application.passwordHasher, on: req.db, actor: admin.actor, time: req.time)
            return req.redirect(to: "/admin/users/\(user.id)?done=\(req.tr("已创建用户", "Created").urlQueryEncoded)")
        } catch let failure as ValidationFailure {
            return newFormPage(req, form: form, errors: failure.errors, status: .unprocessableEntity)
        }
    }

    /// One account: edit name, roles and state (with reason), reset the password, lift a lockout.
    @Sendable static func show(req: Request) async throws -> Response {
        try await detailPage(req, id: try userID(req), errors: [])
    }

    static func detailPage(_ req: Request, id: UUID, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        guard let user = try await User.query(on: req.db).filter(\.$id == id).with(\.$roleAssignments).first() else {
            throw DomainError.notFound(what: "user")
        }
        let locked = LoginLockout.isLocked(until: user.lockedUntil, at: req.time.now())
        let history = try await AuditQueries.page(.init(targetType: "user", targetID: id.uuidString), page: 1, perPage: 20, on: req.db)
        let historyRows = history.entries.map {
            "<tr><td>\(esc($0.occurredAt))</td><td>\(esc($0.actorName))</td><td>\(esc($0.action))</td><td>\(esc($0.details))</td><td>\(esc($0.reason ?? ""))</td></tr>"
        }.joined()
        let canSeeAudit = Layout.allowed("/audit", req: req)
        let content = """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <p>\(req.tr("用户名", "Username"))：<strong>\(esc(user.username))</strong> · \(req.tr("创建于", "created")) \(H.time(user.createdAt)) · \(req.tr("最近登录", "last sign-in")) \(H.time(user.lastLoginAt))
            \(locked ? "<span class=\"badge bad\">\(req.tr("已锁定至", "locked until")) \(H.time(user.lockedUntil))</span>" : "")</p>
            <form method="post" action="/admin/users/\(id)">\(H.csrf(req))
            \(H.field(req.tr("姓名", "Name"), name: "displayName", value: user.displayName, required: true, errors: errors, req: req))
            \(roleCheckboxes(req, selected: user.roles, errors: errors))
            <div class="field"><label><input type="checkbox" name="isActive" value="on"\(user.isActive ? " checked" : "")> \(req.tr("启用（停用后立即退出所有会话）", "Active (deactivating ends all sessions)"))</label></div>
            \(H.field(req.tr("变更原因（变更角色或启用状态时必填）", "Reason (required to change roles or the active flag)"), name: "reason", errors: errors, req: req))
            <div class="actions"><button type="submit" id="save-user">\(req.tr("保存", "Save"))</button></div></form>
            <h2>\(req.tr("重置密码", "Reset password"))</h2>
            <form method="post" action="/admin/users/\(id)/password" data-confirm="\(req.tr("确定重置该用户的密码？其所有会话将退出。", "Reset this user's password? All their sessions end."))">\(H.csrf(req))
            \(H.field(req.tr("新密码", "New password"), name: "newPassword", type: "password", required: true, errors: errors, req: req, attrs: "autocomplete=\"new-password\""))
            \(H.field(req.tr("原因", "Reason"), name: "reason", required: true, req: req))
            <div class="actions"><button type="submit" class="secondary">\(req.tr("重置密码", "Reset password"))</button></div></form>
            \(locked ? "<form method=\"post\" action=\"/admin/users/\(id)/unlock\">\(H.csrf(req))\(H.field(req.tr("解锁原因", "Reason"), name: "reason", required: true, req: req))<button type=\"submit\" class=\"secondary\">\(req.tr("解除锁定", "Unlock"))</button></form>" : "")
            \(canSeeAudit ? "<h2>\(req.tr("变更记录", "History"))</h2><table><thead><tr><th>\(req.tr("时间 (UTC)", "Time (UTC)"))</th><th>\(req.tr("操作人", "By"))</th><th>\(req.tr("操作", "Action"))</th><th>\(req.tr("内容", "Details"))</th><th>\(req.tr("原因", "Reason"))</th></tr></thead><tbody>\(historyRows)</tbody></table>" : "")
            """
        let response = Layout.page(req, title: user.displayName, active: "/admin/users", content)
        response.status = status
        return response
    }

    /// Saves name, roles and active flag.
    @Sendable static func update(req: Request) async throws -> Response {
        let id = try userID(req)
        let form = try req.content.decode(UserForm.self)
        do {
            try await Accounts.update(userID: id, displayName: form.displayName ?? "", isActive: form.isActive == "on",
                                      roles: try parseRoles(form.roles ?? []), reason: form.reason ?? "", on: req.db,
                                      actor: try req.requireUser().actor, time: req.time)
        } catch let failure as ValidationFailure {
            return try await detailPage(req, id: id, errors: failure.errors, status: .unprocessableEntity)
        }
        return req.redirect(to: "/admin/users/\(id)?done=\(req.tr("已保存", "Saved").urlQueryEncoded)")
    }

    /// Sets a new password chosen by the administrator.
    @Sendable static func resetPassword(req: Request) async throws -> Response {
        let id = try userID(req)
        let form = try req.content.decode(UserForm.self)
        let reason = (form.reason ?? "").trimmingCharacters(in: .whitespaces)
        do {
            if reason.isEmpty { throw ValidationFailure([.required("reason", label: req.tr("原因", "reason"))]) }
            try await Accounts.setPassword(userID: id, newPassword: form.newPassword ?? "", reason: reason,
                                           hasher: req.application.passwordHasher, on: req.db,
                                           actor: try req.requireUser().actor, time: req.time)
        } catch let failure as ValidationFailure {
            return try await detailPage(req, id: id, errors: failure.errors, status: .unprocessableEntity)
        }
        return req.redirect(to: "/admin/users/\(id)?done=\(req.tr("已重置密码", "Password reset").urlQueryEncoded)")
    }

    /// Lifts a lockout.
    @Sendable static func unlock(req: Request) async throws -> Response {
        let id = try userID(req)
        let form = try req.content.decode(UserForm.self)
        try await Accounts.unlock(userID: id, reason: form.reason ?? "", on: req.db, actor: try req.requireUser().actor,
                                  time: req.time)
        return req.redirect(to: "/admin/users/\(id)?done=\(req.tr("已解除锁定", "Unlocked").urlQueryEncoded)")
    }

    /// `GET /api/v1/users`.
    @Sendable static func apiList(req: Request) async throws -> UserPage {
        let paging = try Paging(req)
        let (users, total) = try await Accounts.page(search: req.query[String.self, at: "q"], role: try optionalRole(req),
                                                     page: paging.page, perPage: paging.perPage, on: req.db)
        let now = req.time.now()
        return UserPage(items: try users.map { try UserDTO($0, now: now) }, total: total, page: paging.page,
                        perPage: paging.perPage)
    }

    /// `POST /api/v1/users`.
    @Sendable static func apiCreate(req: Request) async throws -> Response {
        let body = try req.decodeJSON(UserCreateRequest.self)
        let user = try await Accounts.create(
            .init(username: body.username, displayName: body.displayName, password: body.password,
                  roles: try parseRoles(body.roles)),
            hasher: req.application.passwordHasher, on: req.db, actor: try req.requireUser().actor, time: req.time)
        let response = try await loadDTO(req, id: user.id).encodeResponse(status: .created, for: req)
        return response
    }

    /// `GET /api/v1/users/{id}`.
    @Sendable static func apiShow(req: Request) async throws -> UserDTO {
        try await loadDTO(req, id: try userID(req))
    }

    /// `PUT /api/v1/users/{id}`.
    @Sendable static func apiUpdate(req: Request) async throws -> UserDTO {
        let id = try userID(req)
        let body = try req.decodeJSON(UserUpdateRequest.self)
        try await Accounts.update(userID: id, displayName: body.displayName, isActive: body.isActive,
                                  roles: try parseRoles(body.roles), reason: body.reason ?? "", on: req.db,
                                  actor: try req.requireUser().actor, time: req.time)
        return try await loadDTO(req, id: id)
    }

    static func loadDTO(_ req: Request, id: UUID) async throws -> UserDTO {
        guard let user = try await User.query(on: req.db).filter(\.$id == id).with(\.$roleAssignments).first() else {
            throw DomainError.notFound(what: "user")
        }
        return try UserDTO(user, now: req.time.now())
    }
}

extension String {
    /// Percent-encoded for a query value.
    var urlQueryEncoded: String {
        addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}

/// A spreadsheet download.
func xlsxResponse(_ sheets: Worksheet..., filename: String) throws -> Response {
    let data = try XLSXWriter.write(sheets)
    let response = Response(status: .ok, body: .init(data: data))
    response.headers.contentType = HTTPMediaType(type: "application",
                                                 subType: "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers.contentDisposition = .init(.attachment, filename: filename)
    return response
}
