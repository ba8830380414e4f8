import SkillCertPersistence
import Vapor

extension Request {
    private struct CSRFKey: StorageKey { typealias Value = String }

    /// The CSRF token to put in this page's forms.
    var csrfToken: String {
        get { storage[CSRFKey.self] ?? "" }
        set { storage[CSRFKey.self] = newValue }
    }
}

/// Protects every page form with a double-submit token: a random `sc_csrf` cookie (HttpOnly, SameSite=Lax)
/// whose value each form repeats in the hidden `_csrf` field. API requests carry bearer tokens, which a
/// cross-site page cannot send, and are not checked.
struct CSRFProtection: AsyncMiddleware {
    static let cookie = "sc_csrf"
    static let field = "_csrf"

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard !req.isAPI else { return try await next.respond(to: req) }
        let existing = req.cookies[Self.cookie]?.string
        let token = existing.flatMap { $0.count >= 32 && $0.count <= 64 ? $0 : nil } ?? Accounts.randomToken()
        req.csrfToken = token
        if [.POST, .PUT, .PATCH, .DELETE].contains(req.method) {
            // No route: a 404 follows without reading the body. Someone the route's access check will refuse is
            // refused there, next, so their body is never read either.
            guard let route = req.route else { return try await next.respond(to: req) }
            if let access = route.declaredAccess, !access.allows(req.signedIn?.roles) { return try await next.respond(to: req) }
            let multipart = req.headers.contentType?.type == "multipart"
            // A streamed upload's form carries the token in its action URL, so the file is not read here.
            var sent = req.headers.first(name: "X-CSRF-Token") ?? (multipart ? req.query[String.self, at: Self.field] : nil)
            // A streaming route collects nothing itself; a plain form sent to it is small and is read here.
            if sent == nil, let limit = route.collectLimit ?? (multipart ? nil : 1 << 20) {
                // Middleware runs before the route collects its body, and a body that arrives after the head is
                // still a stream here: collect it, within the route's own limit, to read the field.
                if req.body.data == nil { _ = try await req.body.collect(max: limit).get() }
                sent = try? req.content.get(String.self, at: Self.field)
            }
            guard let existing, let sent, constantTimeEqual(existing, sent) else {
                throw WebError(.forbidden, code: "csrf_failed", zh: "表单已过期或来源不明，请返回刷新页面后重试",
                               en: "the form expired or did not come from this site; reload the page and try again")
            }
        }
        let response = try await next.respond(to: req)
        if existing != token {
            response.cookies[Self.cookie] = HTTPCookies.Value(string: token, isSecure: req.usesTLS, isHTTPOnly: true,
                                                              sameSite: .lax)
        }
        return response
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
