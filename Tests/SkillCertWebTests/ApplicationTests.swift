import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertTestSupport
import Testing
@testable import SkillCertWeb

@Suite("Applications and eligibility review")
struct ApplicationTests {
    @Test("a candidate applies to an open plan; the engine's verdict is attached; a reviewer overrides only with a reason")
    func applyAndReview() async throws {
        try await TestApp.with { t in
            // setup: a published plan whose registration is open today (2026-11-27)
            try await t.createUser("coord", roles: [.coordination])
            try await t.createUser("leader", roles: [.leadership])
            try await t.createUser("exams", roles: [.examAffairs])
            let standardID = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: t.db).requireID()
            let coord = try t.client()
            try await coord.signIn("coord")
            _ = try await coord.postForm("/plans", [("title", "2026 年第四批电工认定"), ("standardID", standardID.uuidString),
                                                    ("levels[]", "3"), ("registrationOpens", "2026-11-20"), ("registrationCloses", "2026-12-20"),
                                                    ("theoryDate", "2027-01-10"), ("venues", "南京玄武认定站点"), ("feeYuan", "0"), ("capacity", "50")])
            let plan = try #require(try await StoredPlan.query(on: t.db).first())
            let planID = try plan.requireID().uuidString
            _ = try await coord.postForm("/plans/\(planID)/action", [("action", "submit")])
            let leader = try t.client()
            try await leader.signIn("leader")
            _ = try await leader.postForm("/plans/\(planID)/action", [("action", "approve")])
            _ = try await coord.postForm("/plans/\(planID)/action", [("action", "publish")])

            // A candidate registers and applies for 三级 with four years after a 四级 certificate (needs five).
            let cand = try t.client()
            _ = try await cand.postForm("/register/code", [("contact", "13900139000")])
            let code = try #require(await t.outbox.lastCode(to: "13900139000"))
            _ = try await cand.postForm("/register", [("contact", "13900139000"), ("code", code), ("fullName", "李电工"),
                                                      ("password", "Candidate-2026"), ("confirmPassword", "Candidate-2026")])
            _ = try await cand.postForm("/me/profile", [("fullName", "李电工"), ("idType", "resident-id"),
                                                        ("idNumber", "11010519491231002X"), ("employer", "示例供电公司")])
            #expect(try await cand.get("/announcements/\(plan.number)").text.contains("我要报名"))
            let fields: [(String, String)] = [("level", "3"), ("mode", "form"),
                                              ("work[0][relation]", "same"), ("work[0][from]", "2010-07-01"), ("work[0][to]", ""),
                                              ("certificates[0][kind]", "skill-level"), ("certificates[0][relation]", "same"),
                                              ("certificates[0][level]", "4"), ("certificates[0][issuedOn]", "2022-11-30")]
            let applied = try await cand.postForm("/announcements/\(plan.number)/apply", fields)
            #expect(applied.status == .seeOther)
            let twice = try await cand.postForm("/announcements/\(plan.number)/apply", fields)
            #expect(twice.status == .conflict)
            #expect(twice.text.contains("每个计划只能有一份有效报名"))
            let app = try #require(try await StoredApplication.query(on: t.db).first())
            #expect(app.engineEligible == false)
            #expect(app.engineExplanation.contains("四级证书后本职业工作年限：47 / 60 个月"))

            // The reviewer's queue shows it with the masked ID; approving against the engine needs a reason.
            let exams = try t.client()
            try await exams.signIn("exams")
            let queue = try await exams.get("/review")
            #expect(queue.text.contains("李电工") && queue.text.contains("110105********002X"))
            let noReason = try await exams.postForm("/review/\(app.id!.uuidString)", [("decision", "approve"), ("reason", "")])
            #expect(noReason.status == .unprocessableEntity)
            _ = try await exams.postForm("/review/\(app.id!.uuidString)", [("decision", "request-more"), ("reason", "请补充 2022 年以前的工作证明"),
                                                                            ("deadline", "2026-12-10")])
            #expect(try await cand.get("/me/applications").text.contains("请补充 2022 年以前的工作证明"))
            let approved = try await exams.postForm("/review/\(app.id!.uuidString)", [("decision", "approve"),
                                                                                     ("reason", "单位出具的连续工作证明显示满足条件（人工复核）")])
            #expect(approved.status == .seeOther)
            let decided = try #require(try await StoredApplication.find(app.id, on: t.db))
            #expect(decided.statusValue == .approved && decided.overridden)
            #expect(try await cand.get("/me/applications").text.contains("审核通过"))
            let actions = try await AuditEntry.query(on: t.db).filter(\.$targetType == "application").sort(\.$id).all().map(\.action)
            #expect(actions == ["application.submit", "application.request-more", "application.approve"])
        }
    }
}
