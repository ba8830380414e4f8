import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertTestSupport
import Testing
@testable import SkillCertWeb

@Suite("Signing in")
struct SignInTests {
    @Test("sign in on the page, see the Chinese dashboard, switch to English, sign out")
    func pageFlow() async throws {
        try await TestApp.with { t in
            try await t.createUser("zhangwei", roles: [.examAffairs], displayName: "张伟")
            let c = try t.client()
            let login = try await c.get("/login")
            #expect(login.status == .ok)
            #expect(login.text.contains("登录"))
            let cookie = try #require(login.headers.first(name: .setCookie))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))

            let signedIn = try await c.signIn("zhangwei")
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.location == "/dashboard")
            let session = try #require(signedIn.headers[.setCookie].first { $0.hasPrefix("sc_session=") })
            #expect(session.contains("HttpOnly") && session.contains("SameSite=Lax") && !session.contains("Secure"))

            let dashboard = try await c.get("/dashboard")
            #expect(dashboard.status == .ok)
            #expect(dashboard.text.contains("工作台"))
            #expect(dashboard.text.contains("张伟"))
            #expect(dashboard.text.contains("考务部门"))

            let switched = try await c.get("/language/en?back=%2Fdashboard")
            #expect(switched.location == "/dashboard")
            let english = try await c.get("/dashboard")
            #expect(english.text.contains("Dashboard"))
            #expect(english.text.contains("Exam affairs"))

            let out = try await c.postForm("/logout", [])
            #expect(out.location == "/login")
            let after = try await c.get("/dashboard")
            #expect(after.status == .seeOther)
            #expect(after.location?.hasPrefix("/login?next=") == true)
        }
    }

    @Test("cookies are Secure behind a TLS proxy")
    func secureBehindTLS() async throws {
        try await TestApp.with { t in
            try await t.createUser("zhangwei", roles: [.examAffairs])
            let c = try t.client()
            let r = try await c.send(.GET, "/login", headers: ["X-Forwarded-Proto": "https"])
            #expect(r.headers.first(name: .setCookie)?.contains("Secure") == true)
        }
    }

    @Test("a form without the CSRF token is refused and nobody is signed in")
    func csrf() async throws {
        try await TestApp.with { t in
            try await t.createUser("zhangwei", roles: [.examAffairs])
            let c = try t.client()
            let r = try await c.postForm("/login", [("username", "zhangwei"), ("password", TestApp.password)], csrf: false)
            #expect(r.status == .forbidden)
            #expect(r.text.contains("表单已过期"))
            #expect(c.cookie("sc_session") == nil)
            _ = try await c.get("/login")
            let wrongToken = try await c.send(.POST, "/login", body: "username=zhangwei&password=\(TestApp.password)&_csrf=not-the-cookie",
                                             contentType: "application/x-www-form-urlencoded")
            #expect(wrongToken.status == .forbidden)
        }
    }

    @Test("a wrong password says so in Chinese; the fifth in a row locks the account and is audited")
    func lockout() async throws {
        try await TestApp.with { t in
            let user = try await t.createUser("zhangwei", roles: [.examAffairs])
            let c = try t.client()
            for attempt in 1...4 {
                let r = try await c.signIn("zhangwei", password: "Wrong-Password-\(attempt)")
                #expect(r.status == .unauthorized)
                #expect(r.text.contains("用户名或密码不正确"))
            }
            let fifth = try await c.signIn("zhangwei", password: "Wrong-Password-5")
            #expect(fifth.status.code == 423)
            #expect(fifth.text.contains("账号已锁定"))
            // Even the right password is refused while locked.
            let right = try await c.signIn("zhangwei")
            #expect(right.status.code == 423)
            #expect(c.cookie("sc_session") == nil)
            let entry = try await AuditEntry.query(on: t.db).filter(\.$action == "auth.lockout").first()
            #expect(entry?.targetID == user.id.uuidString)

            // After the lock time has passed the right password works again.
            t.time.advance(by: 15 * 60 + 1)
            let later = try await c.signIn("zhangwei")
            #expect(later.status == .seeOther)
        }
    }

    @Test("too many failures from one address are throttled, whatever the usernames")
    func addressThrottle() async throws {
        try await TestApp.with(configure: { $0.addressFailureLimit = 3 }) { t in
            let c = try t.client()
            c.bearer = nil
            for i in 0..<3 {
                let r = try await c.json(.POST, "/api/v1/auth/login", ["username": "nobody\(i)", "password": "whatever-1234"])
                #expect(r.status == .unauthorized)
                #expect(r.errorCode == "invalid_credentials")
            }
            let r = try await c.json(.POST, "/api/v1/auth/login", ["username": "nobody9", "password": "whatever-1234"])
            #expect(r.status == .tooManyRequests)
            #expect(r.errorCode == "too_many_attempts")
        }
    }

    @Test("the API hands out a bearer token that works until logout")
    func apiToken() async throws {
        try await TestApp.with { t in
            try await t.createUser("zhangwei", roles: [.examAffairs, .certificate])
            let c = try t.client()
            try await c.apiSignIn("zhangwei")
            let me = try await c.get("/api/v1/me")
            #expect(me.status == .ok)
            #expect((me.object["roles"] as? [String])?.sorted() == ["certificate", "exam-affairs"])
            // A bearer token is not a page session, and a page cookie is not an API token.
            #expect(try await c.get("/dashboard").status == .seeOther)
            let out = try await c.send(.POST, "/api/v1/auth/logout")
            #expect(out.status == .noContent)
            let after = try await c.get("/api/v1/me")
            #expect(after.status == .unauthorized)
            #expect(after.errorCode == "unauthenticated")
        }
    }

    @Test("bad API input is a 4xx naming the field, never a 500")
    func badInput() async throws {
        try await TestApp.with { t in
            try await t.createUser("root", roles: [.administrator])
            let c = try t.client()
            let notJSON = try await c.send(.POST, "/api/v1/auth/login", body: "{\"username\":", contentType: "application/json")
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.errorCode == "invalid_json")
            let missing = try await c.json(.POST, "/api/v1/auth/login", ["username": "root"])
            #expect(missing.status == .badRequest)
            #expect(missing.errorCode == "missing_field")
            #expect(missing.errorField == "password")
            let wrongType = try await c.send(.POST, "/api/v1/auth/login", body: "{\"username\":1,\"password\":\"x\"}",
                                            contentType: "application/json")
            #expect(wrongType.errorField == "username")
            let form = try await c.send(.POST, "/api/v1/auth/login", body: "username=root", contentType: "text/plain")
            #expect(form.status == .unsupportedMediaType)

            try await c.apiSignIn("root")
            let badRole = try await c.json(.POST, "/api/v1/users", ["username": "li", "displayName": "李",
                                                                    "password": "Good-Password-1", "roles": ["wizard"]])
            #expect(badRole.status == .badRequest)
            #expect(badRole.errorField == "roles[0]")
            let hostile = try await c.json(.POST, "/api/v1/users", ["username": "<script>alert(1)</script>",
                                                                    "displayName": "'; DROP TABLE users; --",
                                                                    "password": String(repeating: "长", count: 5000),
                                                                    "roles": ["examiner"]])
            #expect(hostile.status == .unprocessableEntity)
            let fields = Set(((hostile.object["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
            #expect(fields == ["username", "password"])
            let badPage = try await c.get("/api/v1/users?page=0")
            #expect(badPage.errorField == "page")
            let notFound = try await c.get("/api/v1/users/not-a-uuid")
            #expect(notFound.status == .notFound)
        }
    }
}
