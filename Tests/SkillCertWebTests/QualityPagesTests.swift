import FluentKit
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import SkillCertTestSupport
import Testing
import Vapor

@Suite("Statistics with charts and XLSX, paper analysis in the background, examiner consistency, the batch report")
struct QualityPagesTests {
    @Test("the statistics page draws its charts from released results, filters by level and exports the same rows")
    func statistics() async throws {
        try await TestApp.with { t in
            let plan = try await FinalPlan.make(t, candidates: 4)
            plan.results[3].verdict = "failed"
            try await plan.results[3].save(on: t.db)
            _ = try await t.createUser("qcuser", roles: [.supervision])
            let qc = try t.client()
            _ = try await qc.signIn("qcuser")
            let page = try await qc.get("/statistics?by=employer")
            #expect(page.status == .ok)
            #expect(page.text.contains("<svg class=\"chart\" id=\"chart-by\"") && page.text.contains("id=\"chart-trend\""))
            #expect(page.text.contains("<strong id=\"pass-rate\">75.0%</strong>"))
            // One bar per employer, each with its figures in its title.
            #expect(page.text.components(separatedBy: "<g class=\"bar\">").count - 1 == 4)
            #expect(page.text.contains("单位3：0.0%（0/1）") && page.text.contains("单位0：100.0%（1/1）"))
            #expect(try await qc.get("/statistics?level=3").text.contains("<strong id=\"total\">0</strong>"))
            let bad = try await qc.get("/statistics?from=2026-13-45")
            #expect(bad.status == .unprocessableEntity && bad.text.contains("日期格式应为 YYYY-MM-DD"))

            let sheet = try await qc.get("/statistics.xlsx?by=employer")
            #expect(sheet.status == .ok && sheet.headers.contentType?.subType == "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            let rows = try XLSXReader.read(Data(buffer: sheet.body)).rows.map(\.cells)
            #expect(rows.first?[0] == "工作单位" && rows.count == 5)
            #expect(rows.contains { $0[0] == "单位3" && $0[1] == "1" && $0[3] == "1" })

            // Candidates and examiners do not see statistics.
            _ = try await t.createUser("examinerx", roles: [.examiner])
            let examiner = try t.client()
            _ = try await examiner.signIn("examinerx")
            #expect(try await examiner.get("/statistics").status == .forbidden)
        }
    }

    @Test("a paper's analysis runs in the background from its page and shows difficulty, reliability and flags")
    func paperAnalysis() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 3)
            try await exam.sit(t, answers: [
                [["1"], ["0", "1", "3"], ["1"], ["36"]],
                [["1"], ["0", "1"], ["1"], ["36"]],
                [["0"], ["0", "1", "3"], ["0"], ["36"]],
            ])
            _ = try await t.createUser("qcuser", roles: [.supervision])
            let qc = try t.client()
            _ = try await qc.signIn("qcuser")
            let list = try await qc.get("/quality/papers")
            #expect(list.text.contains("尚未分析") && list.text.contains("id=\"analyse-\(exam.paperID.uuidString)\""))
            #expect(try await qc.get("/quality/papers/\(exam.paperID.uuidString)").status == .notFound)
            #expect(try await qc.postForm("/quality/papers/\(exam.paperID.uuidString)/analyse", []).status == .seeOther)
            var page = try await qc.get("/quality/papers/\(exam.paperID.uuidString)")
            for _ in 0..<100 where page.status != .ok {
                try await Task.sleep(for: .milliseconds(50))
                page = try await qc.get("/quality/papers/\(exam.paperID.uuidString)")
            }
            #expect(page.status == .ok && page.text.contains("<strong id=\"candidates\">3</strong>"))
            // The fill-in item everyone answered is too easy (p = 1.00) and is flagged.
            #expect(page.text.contains(">1.00</td>") && page.text.contains("过易"))
            #expect(page.text.contains("id=\"chart-difficulty\""))
            // The dashboard of the quality department counts the flagged items.
            let dashboard = try await qc.get("/dashboard").text
            #expect(dashboard.contains("<div class=\"card\" id=\"card-quality\"><div class=\"muted\">试卷质量</div><div class=\"num\">1</div>")
                    && dashboard.contains("道试题预警"))
            let sheet = try await qc.get("/quality/papers/\(exam.paperID.uuidString)/analysis.xlsx")
            #expect(sheet.status == .ok && sheet.text.hasPrefix("PK"))
            // The bank shows the observed difficulty next to the planned one.
            _ = try await t.createUser("itemsx", roles: [.itemExaminer])
            let items = try t.client()
            _ = try await items.signIn("itemsx")
            let item = try await items.get("/items/\(exam.content.entries[3].itemID.uuidString)")
            #expect(item.text.contains("<span id=\"observed-p\">实测难度 1.00</span>"))
        }
    }

    @Test("an examiner far stricter than the panel is flagged on the consistency page")
    func examinerConsistency() async throws {
        try await TestApp.with { t in
            let exam = try await SkillsExam.make(t, candidates: 2)
            exam.at(minutes: 30, t)
            for candidate in 0..<2 {
                try await exam.score(t, exam.panel[0], candidate: candidate, ["18", "36", "28", "9"])
                try await exam.score(t, exam.panel[1], candidate: candidate, ["18", "36", "28", "9"])
                try await exam.score(t, exam.panel[2], candidate: candidate, ["15", "30", "25", "9"])
            }
            _ = try await t.createUser("qcuser", roles: [.supervision])
            let qc = try t.client()
            _ = try await qc.signIn("qcuser")
            let page = try await qc.get("/quality/examiners?plan=\(exam.fixture.planID.uuidString)")
            #expect(page.status == .ok)
            let strict = try #require(try await User.find(exam.panel[2].id, on: t.db)).displayName
            let fair = try #require(try await User.find(exam.panel[0].id, on: t.db)).displayName
            // Panel means 87 against sheets of 91, 91 and 79: severity +4, +4, −8 with the default threshold of 5.
            #expect(page.text.contains("id=\"outliers\"") && page.text.contains("-8.00") && page.text.contains("+4.00"))
            let alert = try #require(page.text.components(separatedBy: "id=\"outliers\"").last?.components(separatedBy: "</div>").first)
            #expect(alert.contains(strict) && !alert.contains(fair))
            #expect(page.text.contains("偏严"))
        }
    }

    @Test("the batch report shows the plan's figures, takes leadership's conclusions and prints as a PDF")
    func batchReport() async throws {
        try await TestApp.with { t in
            let plan = try await FinalPlan.make(t, candidates: 2)
            _ = try await t.createUser("leaderx", roles: [.leadership])
            _ = try await t.createUser("qcuser", roles: [.supervision])
            let leader = try t.client()
            _ = try await leader.signIn("leaderx")
            let path = "/plans/\(plan.planID.uuidString)/report"
            let page = try await leader.get(path)
            #expect(page.status == .ok && page.text.contains("认定工作总结评估报告"))
            #expect(page.text.contains("有成绩 2 人，合格 2 人") && page.text.contains("（待填写）"))
            #expect(try await leader.postForm(path, [("conclusions", "本批次组织规范。"), ("improvements", "提前完成考评员培训。")]).status == .seeOther)
            let saved = try await leader.get(path)
            #expect(saved.text.contains("<p>本批次组织规范。</p>") && saved.text.contains("<p>提前完成考评员培训。</p>"))
            let pdf = try await leader.get(path + ".pdf")
            #expect(pdf.status == .ok && pdf.headers.contentType?.subType == "pdf" && pdf.text.hasPrefix("%PDF"))
            // Supervision reads the report but does not write the body's conclusions.
            let qc = try t.client()
            _ = try await qc.signIn("qcuser")
            #expect(try await qc.get(path).status == .ok)
            #expect(try await qc.postForm(path, [("conclusions", "改写"), ("improvements", "")]).status == .forbidden)
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "plan.report-conclusions").count() == 1)
        }
    }
}
