import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
import Vapor
@testable import SkillCertWeb

/// Enumerates every registered route and every role, and checks that what the application does matches the route's
/// declared access — failing for any route that has no declaration.
@Suite("Authorisation matrix")
struct AuthorizationMatrixTests {
    @Test("every route declares who may use it")
    func everyRouteDeclared() async throws {
        try await TestApp.with { t in
            let undeclared = t.app.routes.all.filter { $0.declaredAccess == nil }
                .map { "\($0.method.rawValue) /\($0.path.map(\.description).joined(separator: "/"))" }
            #expect(undeclared.isEmpty, "routes without an access declaration: \(undeclared)")
            #expect(t.app.routes.all.count > 30)
        }
    }

    /// A concrete path for a route pattern, with plausible parameter values.
    static func concretePath(_ route: Route) -> String {
        "/" + route.path.map { c -> String in
            switch c {
            case .parameter(let name):
                switch name {
                case "year": return "2026"
                case "date": return "2026-10-01"
                case "code": return "en"
                case "key": return SettingKey.loginMaxFailures.rawValue
                default: return UUID().uuidString
                }
            case .constant(let s): return s
            case .anything: return "x"
            case .catchall: return "x/y"
            }
        }.joined(separator: "/")
    }

    @Test("each role gets exactly the routes its declarations allow", arguments: [Role?.none] + Role.allCases.map(Optional.some))
    func matrix(role: Role?) async throws {
        try await TestApp.with { t in
            // setup: one user holding exactly this role, signed in on the pages and on the API
            let page = try t.client()
            let api = try t.client()
            if let role {
                try await t.createUser("u-\(role.rawValue)", roles: [role])
                let r = try await page.signIn("u-\(role.rawValue)")
                #expect(r.status == .seeOther, "sign-in as \(role) failed: \(r.status)")
                try await api.apiSignIn("u-\(role.rawValue)")
                #expect(api.bearer != nil)
            } else {
                _ = try await page.get("/login")  // only the CSRF cookie
            }
            let roles: Set<Role>? = role.map { [$0] }
            for route in t.app.routes.all {
                let access = try #require(route.declaredAccess)
                let path = Self.concretePath(route)
                // Never end the session under test halfway through the matrix.
                if path == "/logout" || path == "/api/v1/auth/logout" { continue }
                let isAPI = path.hasPrefix("/api/")
                let client = isAPI ? api : page
                let response: TestResponse
                switch (route.method, isAPI) {
                case (.GET, _): response = try await client.get(path)
                case (_, true): response = try await client.json(route.method, path, [String: String]())
                default: response = try await client.postForm(path, [])
                }
                let denied: Bool
                switch response.status {
                case .unauthorized, .forbidden: denied = response.errorCode != "invalid_credentials"
                    && !response.text.contains("invalid_credentials")
                case .seeOther: denied = response.location?.hasPrefix("/login?next=") == true
                default: denied = false
                }
                // MUT / validate
                let label = "\(route.method.rawValue) \(path) as \(role?.rawValue ?? "anonymous") → \(response.status.code)"
                if access == .examToken {
                    // No account opens these: only an exam token, which no one here holds.
                    #expect(response.status == .unauthorized, "\(label) should need an exam token")
                } else if access.allows(roles) {
                    #expect(!denied || path == "/api/v1/auth/login" || path == "/login", "\(label) should be allowed (\(access))")
                } else {
                    #expect(denied, "\(label) should be denied (\(access))")
                }
                #expect(response.status.code < 500, "\(label) must not fail with a server error: \(response.text.prefix(300))")
            }
        }
    }
}
