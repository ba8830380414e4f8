import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
@testable import SkillCertPersistence

@Suite("Quality evaluation: paper analysis written back to the bank, statistics, batch report figures")
struct QualityStoreTests {
    /// Four candidates on the fixture paper (single choice 40 keyed B, multiple choice 30 keyed A+B+D, true-false 20
    /// keyed 错, fill-in 10 accepting 36). Totals 100, 70, 40 and 20.
    static let answers: [[[String]?]] = [
        [["1"], ["0", "1", "3"], ["1"], ["36"]],
        [["1"], ["0", "1"], ["1"], ["36"]],
        [["0"], ["0", "1", "3"], ["0"], ["36"]],
        [["2"], ["1"], ["1"], nil],
    ]

    @Test("the analysis of a sat paper matches hand-computed p and α, counts distractors and writes p back to each item")
    func paperAnalysis() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 4)
            let staff = try await t.createUser("qcuser", roles: [.supervision])
            // Before anyone has submitted there is nothing to analyse.
            #expect(await failureCode {
                _ = try await PaperAnalysisStore.analyse(paperID: exam.paperID, actor: staff.actor, sealer: ExamFixture.sealer, on: t.db, time: t.time)
            } == "too_few_candidates")
            try await exam.sit(t, answers: Self.answers)
            let record = try await PaperAnalysisStore.analyse(paperID: exam.paperID, actor: staff.actor, sealer: ExamFixture.sealer,
                                                              on: t.db, time: t.time)
            let report = try record.decoded()
            #expect(record.candidates == 4 && report.excluded == 0)
            func figures(_ i: Int) throws -> ItemAnalysis.ItemStatistics {
                let id = exam.content.entries[i].itemID.uuidString
                return try #require(report.statistics.items.first { $0.id == id })
            }
            #expect(try figures(0).difficulty == 0.5 && figures(1).difficulty == 0.5 && figures(2).difficulty == 0.75 && figures(3).difficulty == 0.75)
            // Item variances 400, 225, 75, 18.75 (sum 718.75); totals' variance 918.75: α = 4/3 · (1 − 718.75/918.75).
            let alpha = 4.0 / 3.0 * (1 - 718.75 / 918.75)
            #expect(abs((record.alpha ?? 0) - alpha) < 1e-9 && abs((record.kr20 ?? 0) - alpha) < 1e-9)
            #expect(abs(record.meanTotal - 57.5) < 1e-9)
            // Upper group (1 candidate): the 100; lower group: the 20, who chose C on the single-choice item.
            let options = try figures(0).options
            #expect(options.map(\.option) == ["A", "B", "C", "D"] && options.first { $0.keyed }?.option == "B")
            #expect(options[0].all == 1 && options[1].all == 2 && options[1].upper == 1 && options[2].lower == 1 && options[3].all == 0)
            // Written back: each approved version carries its observed difficulty, and each change is audited.
            for (i, p) in [0.5, 0.5, 0.75, 0.75].enumerated() {
                let version = try #require(try await StoredItemVersion.query(on: t.db).filter(\.$itemID == exam.content.entries[i].itemID).first())
                #expect(version.observedP == p)
            }
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "item.observed-difficulty").count() == 4)
            #expect(try await PaperAnalysisStore.latest(paperID: exam.paperID, on: t.db)?.id == record.id)
        }
    }

    @Test("statistics count released results only, by employer and period; the batch report's figures agree")
    func statisticsAndReport() async throws {
        try await TestApp.with { t in
            let plan = try await FinalPlan.make(t, candidates: 3)
            plan.results[2].verdict = "failed"
            try await plan.results[2].save(on: t.db)
            // A result computed but not yet released is not a statistic.
            let unreleased = try await plan.another(t, candidates: 1, from: 10)
            unreleased.results[0].releasedOn = nil
            try await unreleased.results[0].save(on: t.db)

            let outcomes = try await StatisticsStore.outcomes(on: t.db)
            let total = PassRates.total(outcomes)
            #expect(total.total == 3 && total.passed == 2 && total.failed == 1)
            #expect(PassRates.group(outcomes, by: .employer).map(\.key).sorted() == ["单位0", "单位1", "单位2"])
            let today = t.time.now().chinaLocalDate
            #expect(PassRates.group(outcomes, by: .period).map(\.key) == [PassRates.Granularity.quarter.label(today)])
            #expect(PassRates.group(outcomes, by: .level).map(\.key) == ["4 \(Level(4).fullName)"])
            // Filtered to a later release window: nothing.
            #expect(try await StatisticsStore.outcomes(.init(from: today.adding(days: 1)), on: t.db).isEmpty)

            let figures = try await BatchReportStore.figures(planID: plan.planID, on: t.db, time: t.time)
            #expect(figures.results.total == 3 && figures.results.passed == 2 && figures.applicationTotal == 3)
            #expect(figures.conclusions.isEmpty)
            try await BatchReportStore.saveConclusions(planID: plan.planID, conclusions: "组织规范。", improvements: "加强培训。",
                                                       actor: plan.staff.actor, on: t.db, time: t.time)
            let saved = try await BatchReportStore.figures(planID: plan.planID, on: t.db, time: t.time)
            #expect(saved.conclusions == "组织规范。" && saved.improvements == "加强培训。")
            #expect(await failureCode {
                try await BatchReportStore.saveConclusions(planID: plan.planID, conclusions: String(repeating: "长", count: 20_001), improvements: "",
                                                           actor: plan.staff.actor, on: t.db, time: t.time)
            } == "too_long:conclusions")
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "plan.report-conclusions").count() == 1)
        }
    }
}
