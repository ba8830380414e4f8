import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertTestSupport
import Testing
@testable import SkillCertWeb
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("Certification plans and announcements")
struct PlanTests {
    static func fields(_ standardID: UUID, title: String = "2027 年第一批电工职业技能等级认定", closes: String = "2027-03-31",
                       summary: String? = nil) -> [(String, String)] {
        var f = [("title", title), ("standardID", standardID.uuidString), ("levels[]", "4"), ("levels[]", "3"),
                 ("registrationOpens", "2027-03-01"), ("registrationCloses", closes), ("theoryDate", "2027-04-18"),
                 ("skillsDate", "2027-04-19"), ("venues", "南京玄武认定站点（示例）"), ("feeYuan", "200"), ("capacity", "120"),
                 ("materials", "身份证复印件\n学历证书复印件"), ("materialsByLevel[3]", "四级证书复印件\n工作年限证明"), ("notes", "示例公告")]
        if let summary { f.append(("summary", summary)) }
        return f
    }

    @Test("drafted by coordination, approved by leadership, published publicly; later changes only as dated notices")
    func lifecycle() async throws {
        try await TestApp.with { t in
            try await t.createUser("coord", roles: [.coordination])
            try await t.createUser("leader", roles: [.leadership])
            let standardID = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: t.db).requireID()
            let coord = try t.client()
            try await coord.signIn("coord")

            let bad = try await coord.postForm("/plans", Self.fields(standardID, closes: "2027-02-01"))
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("报名截止日期早于开始日期"))

            #expect(try await coord.postForm("/plans", Self.fields(standardID)).status == .seeOther)
            let row = try #require(try await StoredPlan.query(on: t.db).first())
            let id = try row.requireID().uuidString
            #expect(row.number == "2027-001")
            _ = try await coord.postForm("/plans/\(id)/action", [("action", "submit")])
            // Someone with both roles who edited the plan may not approve it either.
            try await t.createUser("both", roles: [.coordination, .leadership])
            let both = try t.client()
            try await both.signIn("both")
            #expect(try await both.postForm("/plans/\(id)", Self.fields(standardID)).status == .seeOther)
            _ = try await coord.postForm("/plans/\(id)/action", [("action", "submit")])
            #expect(try await both.postForm("/plans/\(id)/action", [("action", "approve")]).status == .forbidden)
            // Coordination cannot approve; leadership can.
            #expect(try await coord.postForm("/plans/\(id)/action", [("action", "approve")]).status == .forbidden)
            let leader = try t.client()
            try await leader.signIn("leader")
            #expect(try await leader.postForm("/plans/\(id)/action", [("action", "approve")]).status == .seeOther)
            let anonymous = try t.client()
            #expect(try await anonymous.get("/announcements/2027-001").status == .notFound)
            _ = try await coord.postForm("/plans/\(id)/action", [("action", "publish")])

            // The public sees it without signing in, in the list, the detail and the feed.
            #expect(try await anonymous.get("/announcements").text.contains("2027 年第一批电工职业技能等级认定"))
            let detail = try await anonymous.get("/announcements/2027-001")
            #expect(detail.status == .ok)
            #expect(detail.text.contains("200 元/人"))
            // Materials per level: 三级 has its own list, 四级 the common one.
            #expect(detail.text.contains("三级：四级证书复印件；工作年限证明"))
            #expect(detail.text.contains("四级：身份证复印件；学历证书复印件"))

            // A published plan is never silently edited.
            await #expect(throws: DomainError.self) {
                try await PlanStore.update(id: try row.requireID(), plan: try row.plan(), actor: .system(), on: t.db, time: t.time)
            }
            let noSummary = try await coord.postForm("/plans/\(id)", Self.fields(standardID, closes: "2027-04-07"))
            #expect(noSummary.status == .unprocessableEntity)
            t.time.advance(by: 3600)  // an hour later (within the sign-in session)
            let amended = try await coord.postForm("/plans/\(id)", Self.fields(standardID, closes: "2027-04-07",
                                                                            summary: "报名截止日期延长一周"))
            #expect(amended.status == .seeOther)
            let after = try await anonymous.get("/announcements/2027-001")
            #expect(after.text.contains("报名截止日期延长一周"))
            #expect(after.text.contains("报名时间：2027-03-01～2027-03-31 → 2027-03-01～2027-04-07"))

            let atom = try await anonymous.get("/announcements.atom")
            #expect(atom.headers.contentType?.subType == "atom+xml")
            let parser = XMLParser(data: Data(buffer: atom.body))
            #expect(parser.parse(), "the feed is well-formed XML")
            #expect(atom.text.contains("<entry>") && atom.text.contains("变更：报名截止日期延长一周"))

            let api = try await anonymous.get("/api/v1/public/plans")
            let plans = try #require(try JSONSerialization.jsonObject(with: Data(buffer: api.body)) as? [[String: Any]])
            #expect(plans.first?["amendments"] as? Int == 1)
            let actions = try await AuditEntry.query(on: t.db).filter(\.$targetType == "plan").sort(\.$id).all().map(\.action)
            #expect(actions == ["plan.create", "plan.submit", "plan.update", "plan.submit", "plan.approve", "plan.publish", "plan.amend"])
        }
    }
}
