import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertTestSupport
import Testing
import Vapor
@testable import SkillCertWeb

@Suite("Certificate pages, the public verification and the national export")
struct CertificatePagesTests {
    func issued(_ t: TestApp, candidates: Int) async throws -> (FinalPlan, TestClient, [CertificateRecord]) {
        let plan = try await FinalPlan.make(t, candidates: candidates)
        let staff = try t.client()
        _ = try await staff.signIn("certs")
        let page = try await staff.get("/plans/\(plan.planID.uuidString)/certificates")
        #expect(page.text.contains("id=\"issue\""))
        #expect(try await staff.postForm("/plans/\(plan.planID.uuidString)/certificates/issue", []).status == .seeOther)
        // Issuing runs in the background with a progress page; wait for it.
        for _ in 0..<200 where try await CertificateRecord.query(on: t.db).count() < candidates {
            try await Task.sleep(for: .milliseconds(50))
        }
        let all = try await CertificateRecord.query(on: t.db).sort(\.$number).all()
        #expect(all.count == candidates)
        for _ in 0..<100 where !(try await staff.get("/plans/\(plan.planID.uuidString)/certificates").text.contains("已颁发 \(candidates) 本证书")) {
            try await Task.sleep(for: .milliseconds(50))
        }
        // The run's reserved serials are on the page, all used.
        let after = try await staff.get("/plans/\(plan.planID.uuidString)/certificates").text
        let reserved = String(all[0].number.dropLast(6)) + "000001 – " + String(format: "%06d", candidates)
        #expect(after.contains("id=\"reservations\"") && after.contains(reserved) && after.contains("已全部使用"))
        return (plan, staff, all)
    }

    @Test("the plan's certificate page shows serials an issuing run did not use, and why")
    func reservedSerialGap() async throws {
        try await TestApp.with { t in
            let plan = try await FinalPlan.make(t, candidates: 3)
            let (db, time, actor, planID) = (t.db, t.time, plan.staff.actor, plan.planID)
            let sealer = ExamFixture.sealer, links = CertificateStore.Links(base: "https://certs.example.cn")
            let signer = CredentialSigner(sealer: sealer)
            // A second run issues the last two while the first is between its chunks.
            _ = try await CertificateStore.issue(planID: planID, actor: actor, sealer: sealer, signer: signer, links: links, chunk: 1, on: db, time: time) { p in
                guard p.done == 1 else { return }
                _ = try? await CertificateStore.issue(planID: planID, actor: actor, sealer: sealer, signer: signer, links: links, on: db, time: time)
            }
            let staff = try t.client()
            _ = try await staff.signIn("certs")
            let page = try await staff.get("/plans/\(planID.uuidString)/certificates").text
            #expect(page.contains("id=\"reservations\"") && page.contains("未用 2 个") && page.contains("2-3") && page.contains("另一签发批次"))
            #expect(page.contains("000004 – 000005") && page.contains("已全部使用"))
            // A run whose process was killed never closed its reservation: the page counts what it left unused.
            let issued = try #require(try await CertificateRecord.query(on: t.db).first())
            let open = CertificateReservation()
            (open.runID, open.planID, open.kind, open.prefix, open.first, open.last) = (UUID(), planID, "serial", String(issued.number.dropLast(6)), 6, 7)
            open.reservedAt = t.time.now()
            try await open.create(on: t.db)
            let after = try await staff.get("/plans/\(planID.uuidString)/certificates").text
            #expect(after.contains("未记录结束") && after.contains("目前未用 2 个：6-7"))
        }
    }

    @Test("staff issue a finalised plan's certificates, print them, record distribution, replace and revoke; the public sees the status")
    func lifecycle() async throws {
        try await TestApp.with { t in
            let (_, staff, all) = try await issued(t, candidates: 2)
            let c = all[0]
            let pdf = try await staff.get("/certificates/\(c.number)/pdf")
            #expect(pdf.status == .ok && pdf.headers.contentType?.subType == "pdf" && pdf.text.hasPrefix("%PDF"))
            #expect(try await staff.postForm("/certificates/\(c.number)/distribute", [("kind", "mailed"), ("detail", "")]).status == .unprocessableEntity)
            #expect(try await staff.postForm("/certificates/\(c.number)/distribute", [("kind", "mailed"), ("detail", "SF1234567890")]).status == .seeOther)
            #expect(try await staff.postForm("/certificates/\(c.number)/replace", [("replaceReason", "证书污损")]).status == .seeOther)
            let detail = try await staff.get("/certificates/\(c.number)")
            #expect(detail.text.contains("SF1234567890") && detail.text.contains("id=\"print-serial\">2<"))

            let anonymous = try t.client()
            let api = try await anonymous.get("/api/v1/public/certificates/\(c.number)")
            #expect(api.status == .ok && api.object["status"] as? String == "valid" && (api.object["maskedIdNumber"] as? String)?.contains("********") == true)
            #expect((api.object["credential"] as? String)?.split(separator: ".").count == 3 && api.headers.first(name: .cacheControl)?.contains("public") == true)
            #expect(Set(api.object.keys) == ["number", "status", "name", "maskedIdNumber", "occupation", "workType", "level", "issueDate", "body", "credential"])
            #expect(api.headers.contentType == .json && api.object["level"] as? String == Level(c.level).fullName && api.object["number"] as? String == c.number)
            #expect(try await anonymous.get("/api/v1/public/certificates/S000000000000000000000").status == .notFound)

            #expect(try await staff.postForm("/certificates/\(c.number)/status", [("status", "revoked"), ("reason", "")]).status == .unprocessableEntity)
            #expect(try await staff.postForm("/certificates/\(c.number)/status", [("status", "revoked"), ("reason", "经核查，冒名顶替")]).status == .seeOther)
            let after = try await anonymous.get("/api/v1/public/certificates/\(c.number)")
            #expect(after.object["status"] as? String == "revoked")
            let page = try await anonymous.get("/verify/\(c.number)")
            #expect(page.status == .ok && page.text.contains("已撤销") && !page.text.contains("320102199001010"))
            let list = try await anonymous.get("/credentials/status/revocation")
            #expect(list.status == .ok && list.text.split(separator: ".").count == 3)
            let jwks = try await anonymous.get("/.well-known/jwks.json")
            #expect(jwks.text.contains("\"kty\":\"OKP\"") && jwks.text.contains("\"alg\":\"EdDSA\""))

            // The public search by name and full ID number; without both it says which is missing.
            let id = ResidentID.completing("32010219900101001")!
            let theirs = try #require(all.first { $0.fullName == "考生1" })
            let found = try await anonymous.get("/api/v1/public/certificates?name=\("考生1".urlEncoded)&idNumber=\(id)")
            #expect(((found.object["items"] as? [[String: Any]])?.first?["number"] as? String) == theirs.number)
            #expect(try await anonymous.get("/api/v1/public/certificates?name=x").text.contains("idNumber"))
            let actions = Set(try await AuditEntry.query(on: t.db).all().map(\.action))
            #expect(actions.isSuperset(of: ["certificate.issue", "certificate.print", "certificate.mailed", "certificate.replace", "certificate.revoked"]))
        }
    }

    @Test("on a SQLite file the public lookup reads the file directly, and shows a revocation at once")
    func lookupOnFile() async throws {
        try await TestApp.withTemporaryFolder("lookup") { folder in try await TestApp.with(configure: {
            $0.database = .sqliteFile(path: folder.appendingPathComponent("lookup.sqlite").path)
        }) { t in
            #expect(t.app.sqliteDirectReads != nil)
            let (_, staff, all) = try await issued(t, candidates: 2)
            let anonymous = try t.client()
            for c in all {
                let api = try await anonymous.get("/api/v1/public/certificates/\(c.number)")
                #expect(api.status == .ok && api.object["status"] as? String == "valid" && api.object["name"] as? String == c.fullName)
                #expect(api.object["credential"] as? String == c.credential && api.object["level"] as? String == Level(c.level).fullName)
            }
            #expect(try await anonymous.get("/api/v1/public/certificates/S000000000000000000000").status == .notFound)
            #expect(try await staff.postForm("/certificates/\(all[1].number)/status", [("status", "revoked"), ("reason", "经核查，冒名顶替")]).status == .seeOther)
            #expect(try await anonymous.get("/api/v1/public/certificates/\(all[1].number)").object["status"] as? String == "revoked")
            #expect(try await anonymous.get("/api/v1/public/certificates/\(all[0].number)").object["status"] as? String == "valid")
        } }
    }

    @Test("public lookups are limited per address with a clear message")
    func rateLimit() async throws {
        try await TestApp.with { t in
            let anonymous = try t.client()
            var last = try await anonymous.get("/api/v1/public/certificates/S012332320102264000001")
            for _ in 0..<120 { last = try await anonymous.get("/api/v1/public/certificates/S012332320102264000001") }
            #expect(last.status == .tooManyRequests && last.text.contains("too_many_lookups") && last.headers.first(name: .retryAfter) != nil)
        }
    }

    @Test("the national export lists every certificate with the full ID number, as XLSX and CSV, and is audited; the candidate downloads the credential")
    func exportAndCandidate() async throws {
        try await TestApp.with { t in
            let (plan, staff, all) = try await issued(t, candidates: 2)
            let csv = try await staff.get("/plans/\(plan.planID.uuidString)/certificates/national.csv")
            let lines = csv.text.split(separator: "\r\n")
            #expect(lines.count == 3 && lines[0].contains("证书编号,姓名,证件类型,证件号码") && csv.text.contains(ResidentID.completing("32010219900101000")!))
            let xlsx = try await staff.get("/plans/\(plan.planID.uuidString)/certificates/national.xlsx")
            #expect(xlsx.status == .ok && xlsx.text.hasPrefix("PK"))
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "certificate.national-export").count() == 2)

            let me = try t.client()
            _ = try await me.signIn("cand0")
            let (mine, other) = (try #require(all.first { $0.fullName == "考生0" }), try #require(all.first { $0.fullName == "考生1" }))
            let page = try await me.get("/me/certificates")
            #expect(page.text.contains(mine.number) && !page.text.contains(other.number))
            let credential = try await me.get("/me/certificates/\(mine.number)/credential")
            #expect(credential.text == mine.credential)
            #expect(try await me.get("/me/certificates/\(other.number)/credential").status == .notFound)
        }
    }
}

extension String {
    var urlEncoded: String { addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? self }
}
