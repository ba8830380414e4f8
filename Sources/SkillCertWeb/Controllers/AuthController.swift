import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// Signing in and out, on pages and through the API, and the language switch.
enum AuthController {
    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "", access: .everyone, use: home)
        r.endpoint(.GET, "login", access: .everyone, use: loginPage)
        r.endpoint(.POST, "login", access: .everyone, use: loginSubmit)
        r.endpoint(.POST, "logout", access: .signedIn, use: logout)
        r.endpoint(.GET, "language/:code", access: .everyone, use: language)
        r.endpoint(.POST, "api/v1/auth/login", access: .everyone,
                   api: APIDoc("Sign in and receive a bearer token", tag: "auth", request: "LoginRequest",
                               response: "LoginResponse", errors: [400, 401, 415, 422, 423, 429]),
                   use: apiLogin)
        r.endpoint(.POST, "api/v1/auth/logout", access: .signedIn,
                   api: APIDoc("End the session of this bearer token", tag: "auth", status: 204, response: nil),
                   use: apiLogout)
        r.endpoint(.GET, "api/v1/me", access: .signedIn,
                   api: APIDoc("The signed-in user", tag: "auth", response: "User"), use: me)
    }

    /// `/`: the dashboard for a signed-in user, the sign-in page otherwise.
    @Sendable static func home(req: Request) async throws -> Response {
        req.redirect(to: req.signedIn == nil ? "/login" : "/dashboard")
    }

    struct LoginForm: Content {
        var username: String?
        var password: String?
        var next: String?
    }

    /// The sign-in page.
    @Sendable static func loginPage(req: Request) async throws -> Response {
        if req.signedIn != nil { return req.redirect(to: "/dashboard") }
        return loginForm(req, username: "", next: req.query[String.self, at: "next"] ?? "", error: nil)
    }

    static func loginForm(_ req: Request, username: String, next: String, error: String?,
                          status: HTTPResponseStatus = .ok) -> Response {
        let content = """
            <div class="login">
            \(error.map { "<div class=\"alert alert-error\" role=\"alert\" id=\"login-error\">\(esc($0))</div>" } ?? "")
            <form method="post" action="/login">\(H.csrf(req))
            <input type="hidden" name="next" value="\(esc(next))">
            \(H.field(req.tr("用户名 / 手机号 / 邮箱", "Username, mobile or e-mail"), name: "username", value: username, required: true, req: req, attrs: "autocomplete=\"username\" autofocus"))
            \(H.field(req.tr("密码", "Password"), name: "password", type: "password", required: true, req: req, attrs: "autocomplete=\"current-password\""))
            <div class="actions"><button type="submit" id="login-submit">\(req.tr("登录", "Sign in"))</button></div>
            </form>
            <p class="muted">\(req.tr("连续多次输入错误的密码，账号将被临时锁定。", "Repeated wrong passwords lock the account for a while."))</p>
            <p>\(req.tr("考生尚未注册？", "New candidate?")) <a href="/register" id="register-link">\(req.tr("注册考生账号", "Create a candidate account"))</a></p>
            </div>
            """
        let response = Layout.page(req, title: req.tr("登录", "Sign in"), content)
        response.status = status
        return response
    }

    /// Checks the credentials, opens a cookie session and goes on to `next` (a local path only).
    @Sendable static func loginSubmit(req: Request) async throws -> Response {
        let form = try req.content.decode(LoginForm.self)
        let username = form.username ?? ""
        let next = safeNext(form.next)
        switch try await signIn(req, username: username, password: form.password ?? "") {
        case .success(let user):
            let lifetime = try await sessionLifetime(req)
            let session = try await Accounts.openSession(for: user, kind: .web, lifetime: lifetime,
                                                         remoteAddress: req.clientAddress, on: req.db, time: req.time)
            let response = req.redirect(to: next)
            response.cookies[SessionCookie.name] = HTTPCookies.Value(
                string: session.token, expires: session.expiresAt, path: "/", isSecure: req.usesTLS,
                isHTTPOnly: true, sameSite: .lax)
            return response
        case .failure(let error):
            return loginForm(req, username: username, next: form.next ?? "", error: req.tr(error.zh, error.en),
                             status: error.status)
        }
    }

    /// Ends the cookie session.
    @Sendable static func logout(req: Request) async throws -> Response {
        if let token = req.sessionToken { try await Accounts.closeSession(token: token, on: req.db) }
        let response = req.redirect(to: "/login")
        response.cookies[SessionCookie.name] = HTTPCookies.Value(string: "", expires: Date(timeIntervalSince1970: 0),
                                                                  maxAge: 0, isHTTPOnly: true, sameSite: .lax)
        return response
    }

    /// Switches the page language and returns to where the visitor was.
    @Sendable static func language(req: Request) async throws -> Response {
        guard let lang = Lang(rawValue: req.parameters.get("code") ?? "") else {
            throw WebError(.notFound, code: "unknown_language", zh: "不支持该语言", en: "unsupported language")
        }
        let response = req.redirect(to: safeNext(req.query[String.self, at: "back"]))
        response.cookies[Lang.cookie] = HTTPCookies.Value(string: lang.rawValue, maxAge: 365 * 86_400, path: "/",
                                                          isHTTPOnly: true, sameSite: .lax)
        return response
    }

    /// `POST /api/v1/auth/login`: returns a bearer token.
    @Sendable static func apiLogin(req: Request) async throws -> Response {
        let body = try req.decodeJSON(LoginRequest.self)
        switch try await signIn(req, username: body.username, password: body.password) {
        case .success(let user):
            let lifetime = try await sessionLifetime(req)
            let session = try await Accounts.openSession(for: user, kind: .api, lifetime: lifetime,
                                                         remoteAddress: req.clientAddress, on: req.db, time: req.time)
            return try await LoginResponse(token: session.token, tokenType: "Bearer", expiresAt: session.expiresAt,
                                           user: UserDTO(user)).encodeResponse(for: req)
        case .failure(let error):
            throw error
        }
    }

    /// `POST /api/v1/auth/logout`.
    @Sendable static func apiLogout(req: Request) async throws -> HTTPStatus {
        if let token = req.sessionToken { try await Accounts.closeSession(token: token, on: req.db) }
        return .noContent
    }

    /// `GET /api/v1/me`.
    @Sendable static func me(req: Request) async throws -> UserDTO {
        UserDTO(try req.requireUser())
    }

    /// Signs in with the address throttle and account lockout applied; failures become `WebError`s.
    static func signIn(_ req: Request, username: String, password: String) async throws -> Result<SignedInUser, WebError> {
        let address = req.clientAddress
        let now = req.time.now()
        if let wait = await req.application.addressThrottle.retryAfter(address, now: now) {
            req.application.appMetrics.signIn(result: "throttled")
            return .failure(WebError(.tooManyRequests, code: "too_many_attempts",
                                     zh: "登录失败次数过多，请 \(wait) 秒后再试",
                                     en: "too many failed sign-ins from this address; try again in \(wait) seconds"))
        }
        guard !username.isEmpty, !password.isEmpty, username.count <= 64, password.count <= 256 else {
            return .failure(WebError(.unprocessableEntity, code: "required", zh: "请输入用户名和密码",
                                     en: "username and password are required", field: username.isEmpty ? "username" : "password"))
        }
        // Candidates sign in with the mobile number or e-mail address they registered with.
        var username = username
        let byContact = ContactAddress(username) != nil
        if byContact, let sealer = req.application.contentSealer,
           let mapped = try await CandidateAccounts.username(forContact: username, sealer: sealer, on: req.db) {
            username = mapped
        }
        let settings = try await SettingsStore.all(on: req.db)
        let lockout = LoginLockout(maxFailures: settings[.loginMaxFailures] ?? 5,
                                   lockFor: TimeInterval((settings[.loginLockMinutes] ?? 15) * 60))
        let result = try await Accounts.signIn(username: username, password: password, lockout: lockout,
                                               hasher: req.application.passwordHasher, on: req.db, time: req.time)
        switch result {
        case .success(let user):
            await req.application.addressThrottle.reset(address)
            req.application.appMetrics.signIn(result: "success")
            req.logger.info("sign-in", metadata: ["user": .string(user.username)])
            return .success(user)
        case .invalidCredentials:
            await req.application.addressThrottle.recordFailure(address, now: now)
            req.application.appMetrics.signIn(result: "invalid")
            return .failure(WebError(.unauthorized, code: "invalid_credentials", zh: "用户名或密码不正确",
                                     en: "wrong username or password"))
        case .locked where byContact:
            // For a mobile number or e-mail, a lockout answers like a wrong password, so that nobody can learn
            // which numbers are registered.
            await req.application.addressThrottle.recordFailure(address, now: now)
            req.application.appMetrics.signIn(result: "locked")
            return .failure(WebError(.unauthorized, code: "invalid_credentials", zh: "用户名或密码不正确",
                                     en: "wrong username or password"))
        case .locked(let until):
            await req.application.addressThrottle.recordFailure(address, now: now)
            req.application.appMetrics.signIn(result: "locked")
            let minutes = max(1, Int((until.timeIntervalSince(now) / 60).rounded(.up)))
            return .failure(WebError(HTTPResponseStatus(statusCode: 423), code: "account_locked",
                                     zh: "连续登录失败次数过多，账号已锁定，请 \(minutes) 分钟后再试或联系管理员解锁",
                                     en: "the account is locked after repeated failures; try again in \(minutes) minutes"))
        case .inactive:
            req.application.appMetrics.signIn(result: "inactive")
            return .failure(WebError(.forbidden, code: "account_inactive", zh: "账号已停用，请联系管理员",
                                     en: "the account is deactivated"))
        }
    }

    static func sessionLifetime(_ req: Request) async throws -> TimeInterval {
        TimeInterval(try await SettingsStore.value(.sessionHours, on: req.db) * 3600)
    }

    /// Only local absolute paths are followed after sign-in, so the form cannot send anyone elsewhere.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.count < 500 else {
            return "/dashboard"
        }
        return next
    }
}
