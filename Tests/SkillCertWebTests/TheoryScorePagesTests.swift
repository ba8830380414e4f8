import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertTestSupport
import Testing
import Vapor

@Suite("Theory score pages: double entry, answer sheets, marking")
struct TheoryScorePagesTests {
    @Test("two clerks key in a paper-based score without seeing each other's figure; a third settles the mismatch; a bad sheet file is reported by row and column")
    func doubleEntryPages() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 2, mode: .paper)
            exam.at(minutes: 120, t)
            var clerks: [TestClient] = []
            for name in ["clerk-a", "clerk-b", "clerk-c"] {
                try await t.createUser(name, roles: [.examAffairs])
                let c = try t.client()
                _ = try await c.signIn(name)
                clerks.append(c)
            }
            let page = "/sessions/\(exam.sessionID.uuidString)/scores"
            let session = try await clerks[0].get("/sessions/\(exam.sessionID.uuidString)")
            #expect(session.text.contains("id=\"scores\"") && session.text.contains(page))

            let (first, second) = (exam.logins[0].ticket, exam.logins[1].ticket)
            let entered = try await clerks[0].postForm(page, [("ticket", first), ("score", "73.5")])
            #expect(entered.status == .seeOther)
            let refused = try await clerks[0].postForm(page, [("ticket", first), ("score", "73.5")])
            #expect(refused.status == .conflict && refused.text.contains("第二次录入须由另一人完成"))
            let bad = try await clerks[1].postForm(page, [("ticket", first), ("score", "七十")])
            #expect(bad.status == .unprocessableEntity && bad.text.contains("成绩应为 0–100 之间的数"))
            // The second clerk's page does not show the first figure.
            let before = try await clerks[1].get(page)
            #expect(before.text.contains("待第二次录入") && !before.text.contains("73.5"))
            _ = try await clerks[1].postForm(page, [("ticket", first), ("score", "75")])
            let after = try await clerks[2].get(page + "?state=mismatch")
            #expect(after.text.contains("73.5 / 75") && after.text.contains(first) && !after.text.contains(second))
            let noReason = try await clerks[2].postForm(page, [("ticket", first), ("score", "75")])
            #expect(noReason.status == .unprocessableEntity && noReason.text.contains("核定理由"))
            let settled = try await clerks[2].postForm(page, [("ticket", first), ("score", "75"), ("reason", "复核原卷，第 3 题应得 5 分")])
            #expect(settled.status == .seeOther)
            #expect(try await clerks[2].get(page).text.contains("复核原卷"))

            // The export lists the settled score.
            let xlsx = try await clerks[0].get(page.replacingOccurrences(of: "/scores", with: "/scores.xlsx"))
            #expect(xlsx.status == .ok && xlsx.headers.contentType?.subType.contains("spreadsheetml") == true)

            // A sheet file for a paper with a fill-in item: nothing imported, the problem named.
            let csv = "准考证号,1,2,3,4\n\(second),A,B,A,\n"
            let upload = try await clerks[0].postMultipart(page.replacingOccurrences(of: "/scores", with: "/answer-sheets"),
                                                           files: [("file", "omr.csv", "text/csv", Data(csv.utf8))])
            #expect(upload.status == .unprocessableEntity && upload.text.contains("id=\"sheet-errors\"") && upload.text.contains("光电阅卷只能读取"),
                    "\(upload.status) \(upload.text.prefix(3000))")
            #expect(try await PaperScore.query(on: t.db).filter(\.$source == "omr").count() == 0)

            // Candidates and examiners do not reach score entry.
            try await t.createUser("examiner-x", roles: [.examiner])
            let examiner = try t.client()
            _ = try await examiner.signIn("examiner-x")
            #expect(try await examiner.get(page).status == .forbidden)
        }
    }

    @Test("the marking queue shows a fill-in answer without the candidate's name; the marker's points change the score")
    func markingPage() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 1)
            exam.at(minutes: 1, t)
            let candidate = try t.client()
            let login = try await candidate.json(.POST, "/api/v1/exam/login", ["ticketNumber": exam.logins[0].ticket, "idNumber": exam.logins[0].idNumber])
            candidate.bearer = try #require(login.object["token"] as? String)
            let attemptID = try #require(login.object["attemptId"] as? String)
            _ = try await candidate.get("/api/v1/exam/attempt")
            _ = try await candidate.json(.PUT, "/api/v1/exam/attempt/answers/\(exam.content.entries[3].itemID.uuidString)", ["response": ["三十六伏"], "seq": 1])
            _ = try await candidate.send(.POST, "/api/v1/exam/attempt/submit")

            exam.at(minutes: 95, t)  // the queue lists a session once it is over
            try await t.createUser("marker", roles: [.examiner])
            let marker = try t.client()
            _ = try await marker.signIn("marker")
            let queue = try await marker.get("/marking")
            let name = try #require(try await CandidateProfile.query(on: t.db).first()?.fullName)
            #expect(queue.status == .ok && queue.text.contains("三十六伏") && queue.text.contains("待评阅 1 份") && !queue.text.contains(name))
            let answerID = try #require(try await ExamAnswer.query(on: t.db).filter(\.$needsReview == true).first()?.id)
            let tooMany = try await marker.postForm("/marking/\(answerID.uuidString)", [("points", "12")])
            #expect(tooMany.status == .unprocessableEntity && tooMany.text.contains("得分应在 0–10 分之间"))
            #expect(try await marker.postForm("/marking/\(answerID.uuidString)", [("points", "10")]).status == .seeOther)
            #expect(try await marker.get("/marking").text.contains("没有待评阅的作答"))
            #expect(try await ExamAttempt.find(UUID(uuidString: attemptID), on: t.db)?.score == 10)
            // The navigation offers the queue to markers.
            #expect(try await marker.get("/dashboard").text.contains("href=\"/marking\""))
        }
    }
}
