import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
@testable import SkillCertPersistence

@Suite("Complaints")
struct ComplaintStoreTests {
    @Test("the summary counts a plan's complaints by category and status, with overdue ones, within a date range")
    func summaryForPlan() async throws {
        try await TestApp.with { t in
            // setup: two complaints linked to the plan, one not, one of the plan's answered
            let planID = try await ExamFixture.publishedPlan(t)
            let staff = try await t.createUser("quality", roles: [.supervision])
            func receive(_ category: ComplaintCategory, plan: UUID?) async throws -> StoredComplaint {
                try await ComplaintStore.receive(.init(category: category.rawValue, subject: "事由", text: "内容", complainantName: "张三",
                                                       contact: "13800138000", planID: plan?.uuidString ?? ""),
                                                 fromPublic: false, actor: staff.actor, on: t.db, time: t.time)
            }
            let appeal = try await receive(.appeal, plan: planID)
            _ = try await receive(.complaint, plan: planID)
            _ = try await receive(.report, plan: nil)
            try await ComplaintStore.answer(appeal.requireID(), outcome: "not-upheld", reply: "维持原结果", actor: staff.actor, on: t.db, time: t.time)
            let today = t.time.now().chinaLocalDate

            // MUT
            let now = try await ComplaintStore.summary(planID: planID, today: today, on: t.db)
            let later = try await ComplaintStore.summary(planID: planID, today: today.adding(days: 60), on: t.db)
            let before = try await ComplaintStore.summary(planID: planID, from: today.adding(days: -30), through: today.adding(days: -1),
                                                          today: today, on: t.db)
            let everything = try await ComplaintStore.summary(planID: nil, from: today, through: today, today: today, on: t.db)

            // validate
            #expect(now.total == 2 && now.byCategory[.appeal] == 1 && now.byCategory[.complaint] == 1 && now.byCategory[.report] == nil)
            #expect(now.byStatus[.answered] == 1 && now.byStatus[.received] == 1 && now.overdue == 0)
            #expect(later.overdue == 1)
            #expect(before.total == 0)
            #expect(everything.total == 3)
        }
    }
}
