import SkillCertCore
import Vapor

/// Enforces a route's declared access: anonymous visitors of a page go to the sign-in page, API callers get 401,
/// and signed-in users without a required role get 403.
struct AccessMiddleware: AsyncMiddleware {
    let access: Access

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let user = req.signedIn
        if access.allows(user?.roles) { return try await next.respond(to: req) }
        if user == nil {
            if req.isAPI || req.method != .GET {
                throw WebError(.unauthorized, code: "unauthenticated", zh: "请先登录", en: "sign in first")
            }
            let next = req.url.string
            return req.redirect(to: "/login?next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")")
        }
        throw WebError(.forbidden, code: "forbidden", zh: "您的角色无权访问此页面或操作",
                       en: "your roles do not allow this")
    }
}

extension Request {
    /// Whether this is a JSON API request (under `/api/`).
    var isAPI: Bool { url.path.hasPrefix("/api/") }
}
