import SkillCertCore
import SkillCertPersistence
import Vapor

extension Request {
    private struct SignedInKey: StorageKey { typealias Value = SignedInUser }
    private struct TokenKey: StorageKey { typealias Value = String }

    /// The signed-in user of this request, if any.
    var signedIn: SignedInUser? {
        get { storage[SignedInKey.self] }
        set { storage[SignedInKey.self] = newValue }
    }

    /// The session token this request came with (cookie or bearer).
    var sessionToken: String? {
        get { storage[TokenKey.self] }
        set { storage[TokenKey.self] = newValue }
    }

    /// The signed-in user, or a 401.
    func requireUser() throws -> SignedInUser {
        guard let user = signedIn else {
            throw WebError(.unauthorized, code: "unauthenticated", zh: "请先登录", en: "sign in first")
        }
        return user
    }

    /// The client's address: the peer, or, behind the local proxy, the address that proxy appended last to
    /// `X-Forwarded-For` (earlier entries are whatever the client sent and cannot be trusted).
    var clientAddress: String {
        if let peer = remoteAddress?.ipAddress, peer == "127.0.0.1" || peer == "::1",
           let forwarded = headers[.xForwardedFor].last?.split(separator: ",").last {
            return forwarded.trimmingCharacters(in: .whitespaces)
        }
        return remoteAddress?.ipAddress ?? "unknown"
    }

    /// Whether cookies must be marked Secure: configured, or the proxy says the client used HTTPS.
    var usesTLS: Bool {
        config.secureCookies || headers.first(name: "X-Forwarded-Proto")?.lowercased() == "https"
    }
}

enum SessionCookie {
    static let name = "sc_session"
}

/// Identifies the user: API requests by `Authorization: Bearer`, pages by the session cookie.
struct SessionAuthenticator: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if req.url.path.hasPrefix("/api/v1/exam/") {
            // The exam API carries the exam token, checked by its handlers: no account session to look up.
        } else if req.isAPI {
            if let token = req.headers.bearerAuthorization?.token {
                req.signedIn = try await Accounts.resolveSession(token: token, kind: .api, on: req.db, time: req.time)
                req.sessionToken = token
            }
        } else if let token = req.cookies[SessionCookie.name]?.string {
            req.signedIn = try await Accounts.resolveSession(token: token, kind: .web, on: req.db, time: req.time)
            req.sessionToken = token
        }
        return try await next.respond(to: req)
    }
}
