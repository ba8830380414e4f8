import FluentKit
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import SkillCertTestSupport
import Testing
import ZIPFoundation
@testable import SkillCertWeb

@Suite("Administration")
struct AdministrationTests {
    @Test("an administrator creates an account on the page; a role change needs a reason and is audited with it")
    func usersAndRoles() async throws {
        try await TestApp.with { t in
            try await t.createUser("root", roles: [.administrator])
            let c = try t.client()
            try await c.signIn("root")
            let created = try await c.postForm("/admin/users", [("username", "liuyang"), ("displayName", "刘洋"),
                                                                ("password", "Item-Bank-2026"), ("roles[]", "item-examiner")])
            #expect(created.status == .seeOther)
            let user = try #require(try await User.query(on: t.db).filter(\.$username == "liuyang").with(\.$roleAssignments).first())
            let id = try user.requireID()
            #expect(user.roles == [.itemExaminer])

            let noReason = try await c.postForm("/admin/users/\(id)", [("displayName", "刘洋"), ("roles[]", "item-examiner"),
                                                                       ("roles[]", "exam-affairs"), ("isActive", "on")])
            #expect(noReason.status == .unprocessableEntity)
            #expect(noReason.text.contains("须填写原因"))

            let withReason = try await c.postForm("/admin/users/\(id)", [("displayName", "刘洋"), ("roles[]", "item-examiner"),
                                                                         ("roles[]", "exam-affairs"), ("isActive", "on"),
                                                                         ("reason", "兼任考务工作（2026-11 任命）")])
            #expect(withReason.status == .seeOther)
            let entry = try #require(try await AuditEntry.query(on: t.db).filter(\.$action == "user.update").first())
            #expect(entry.reason == "兼任考务工作（2026-11 任命）")
            #expect(entry.details.contains("+exam-affairs"))
            #expect(entry.actorName == "root")
            #expect(entry.beforeDigest != entry.afterDigest)

            // The detail page shows that history, and the list finds the account by role.
            let page = try await c.get("/admin/users/\(id)")
            #expect(page.text.contains("兼任考务工作"))
            let list = try await c.get("/admin/users?role=exam-affairs")
            #expect(list.text.contains("liuyang"))
            let other = try await c.get("/admin/users?role=certificate")
            #expect(!other.text.contains("liuyang"))
        }
    }

    @Test("deactivating an account ends its sessions")
    func deactivate() async throws {
        try await TestApp.with { t in
            let root = try await t.createUser("root", roles: [.administrator])
            let victim = try await t.createUser("wangfang", roles: [.coordination])
            let session = try t.client()
            try await session.signIn("wangfang")
            #expect(try await session.get("/dashboard").status == .ok)
            try await Accounts.update(userID: victim.id, displayName: "王芳", isActive: false, roles: [.coordination],
                                      reason: "离职", on: t.db, actor: root.actor, time: t.time)
            #expect(try await session.get("/dashboard").status == .seeOther)
            let again = try await session.signIn("wangfang")
            #expect(again.status == .forbidden)
        }
    }

    @Test("body settings: bad codes are named by field, good data is saved and audited")
    func body() async throws {
        try await TestApp.with { t in
            try await t.createUser("root", roles: [.administrator])
            let c = try t.client()
            try await c.signIn("root")
            let bad = try await c.postForm("/settings/body", [("type", "S"), ("code", "12"), ("name", "某评价中心"),
                                                              ("provinceCode", "32"), ("sites[0][code]", "3201"),
                                                              ("sites[0][name]", "站点"), ("sites[0][address]", "南京")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("机构代码”应为 4 位数字"))
            #expect(bad.text.contains("站点 1 的站点代码”应为 6 位数字"))
            #expect(try await BodyStore.load(on: t.db) == nil)

            let good = try await c.postForm("/settings/body", [("type", "S"), ("code", "0123"), ("name", "某评价中心"),
                                                               ("provinceCode", "32"), ("sites[0][code]", "320102"),
                                                               ("sites[0][name]", "玄武站点"), ("sites[0][address]", "南京市玄武区"),
                                                               ("sites[1][code]", ""), ("sites[1][name]", ""), ("sites[1][address]", ""),
                                                               ("reason", "首次登记")])
            #expect(good.status == .seeOther)
            let body = try #require(try await BodyStore.load(on: t.db))
            #expect(body.type == .trainingOrganisation && body.code == "0123" && body.sites.count == 1)
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "body.create").first()?.reason == "首次登记")

            let api = try t.client()
            try await api.apiSignIn("root")
            let put = try await api.json(.PUT, "/api/v1/body", ["type": "S", "code": "0123", "name": "某评价中心",
                                                                "provinceCode": "99", "sites": [] as [Any]])
            #expect(put.status == .unprocessableEntity)
            #expect(put.errorCode == "unknown_province")
        }
    }

    @Test("rules: a change is range-checked, needs a reason and takes effect")
    func rules() async throws {
        try await TestApp.with { t in
            try await t.createUser("root", roles: [.administrator])
            let api = try t.client()
            try await api.apiSignIn("root")
            let out = try await api.json(.PUT, "/api/v1/settings/publicity.working-days", ["value": 3, "reason": "x"])
            #expect(out.status == .unprocessableEntity)
            #expect(out.errorField == "publicity.working-days")
            let ok = try await api.json(.PUT, "/api/v1/settings/publicity.working-days", ["value": 7, "reason": "省厅通知"])
            #expect(ok.status == .ok)
            #expect(ok.object["value"] as? Int == 7)
            #expect(try await SettingsStore.value(.publicityWorkingDays, on: t.db) == 7)
        }
    }

    @Test("the calendar API counts working days across the 2026 National Day holiday")
    func calendar() async throws {
        try await TestApp.with { t in
            try await t.createUser("coord", roles: [.coordination])
            let api = try t.client()
            try await api.apiSignIn("coord")
            let add = try await api.get("/api/v1/calendar/working-days?from=2026-09-29&add=5")
            #expect(add.object["to"] as? String == "2026-10-12")
            let count = try await api.get("/api/v1/calendar/working-days?from=2026-09-28&to=2026-10-11")
            #expect(count.object["workingDays"] as? Int == 6)
            let bad = try await api.get("/api/v1/calendar/working-days?from=2026-02-30&add=1")
            #expect(bad.status == .badRequest)
            #expect(bad.errorField == "from")
            let year = try await api.get("/api/v1/calendar/2026")
            #expect((year.object["days"] as? [[String: Any]])?.contains { $0["date"] as? String == "2026-10-10" && $0["kind"] as? String == "workday" } == true)

            // The page edits the calendar: coordination may, and the change is audited.
            let page = try t.client()
            try await page.signIn("coord")
            let set = try await page.postForm("/settings/calendar/days", [("date", "2026-12-31"), ("kind", "holiday"), ("name", "机构年终休息日")])
            #expect(set.status == .seeOther)
            let again = try await api.get("/api/v1/calendar/working-days?from=2026-12-30&add=1")
            #expect(again.object["to"] as? String == "2027-01-01")
        }
    }

    @Test("audit log: the API pages entries and verifies the chain; XLSX export opens as a workbook")
    func audit() async throws {
        try await TestApp.with { t in
            try await t.createUser("root", roles: [.administrator])
            try await t.createUser("quality", roles: [.supervision])
            let api = try t.client()
            try await api.apiSignIn("quality")
            let all = try await api.get("/api/v1/audit")
            let total = try #require(all.object["total"] as? Int)
            let list = try await api.get("/api/v1/audit?perPage=1&action=user.")
            #expect(list.object["total"] as? Int == 2)
            #expect((list.object["items"] as? [[String: Any]])?.first?["action"] as? String == "user.create")
            let verify = try await api.get("/api/v1/audit/verify")
            #expect(verify.object["ok"] as? Bool == true)
            #expect(verify.object["checked"] as? Int == total)

            let page = try t.client()
            try await page.signIn("quality")
            let xlsx = try await page.get("/audit/export.xlsx")
            #expect(xlsx.status == .ok)
            let archive = try Archive(data: Data(buffer: xlsx.body), accessMode: .read)
            let entry = try #require(archive["xl/worksheets/sheet1.xml"])
            var xml = Data()
            _ = try archive.extract(entry) { xml.append($0) }
            #expect(String(decoding: xml, as: UTF8.self).contains("user.create"))
        }
    }
}

@Suite("Service endpoints")
struct ServiceEndpointTests {
    @Test("healthz, readyz and metrics answer; every response carries a request id")
    func health() async throws {
        try await TestApp.with { t in
            let c = try t.client()
            let h = try await c.get("/healthz")
            #expect(h.status == .ok)
            #expect(h.headers.first(name: "X-Request-Id")?.isEmpty == false)
            let r = try await c.get("/readyz")
            #expect(r.status == .ok)
            #expect(r.object["database"] as? String == (t.target.isPostgres ? "postgresql" : "sqlite"))
            let m = try await c.get("/metrics")
            #expect(m.text.contains("skillcert_http_requests_total"))
            #expect(m.text.contains("route=\"/readyz\""))
        }
    }

    @Test("unknown pages get a Chinese 404 page; unknown API paths get JSON")
    func notFound() async throws {
        try await TestApp.with { t in
            let c = try t.client()
            let page = try await c.get("/no/such/page")
            #expect(page.status == .notFound)
            #expect(page.text.contains("页面不存在"))
            let api = try await c.get("/api/v1/no-such-thing")
            #expect(api.status == .notFound)
            #expect(api.errorCode == "not_found")
        }
    }

    @Test("the OpenAPI document describes every API route with its method, and nothing else")
    func openAPI() async throws {
        try await TestApp.with { t in
            let c = try t.client()
            let doc = try await c.get("/api/v1/openapi.json")
            #expect(doc.object["openapi"] as? String == "3.1.0")
            let paths = try #require(doc.object["paths"] as? [String: [String: Any]])
            var documented = Set<String>()
            for (path, ops) in paths { for method in ops.keys { documented.insert("\(method.uppercased()) \(path)") } }
            let routes = Set(t.app.routes.all.filter { $0.path.first?.description == "api" }
                .map { "\($0.method.rawValue) \(OpenAPIDocument.path(of: $0))" })
            #expect(routes.subtracting(documented).isEmpty, "routes missing from openapi.json: \(routes.subtracting(documented))")
            #expect(documented == routes)
            #expect(routes.contains("POST /api/v1/auth/login"))
            // Every schema reference resolves.
            let schemas = try #require((doc.object["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let refs = doc.text.matches(of: /#\/components\/schemas\/(\w+)/).map { String($0.1) }
            #expect(!refs.isEmpty)
            for ref in refs { #expect(schemas[ref] != nil, "unresolved schema \(ref)") }
        }
    }
}
