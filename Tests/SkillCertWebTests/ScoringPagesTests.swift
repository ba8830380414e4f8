import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertTestSupport
import Testing
import Vapor

@Suite("Panel scoring, results, reviews and publicity through the pages and the API")
struct ScoringPagesTests {
    func signedIn(_ t: TestApp, _ username: String, api: Bool = false) async throws -> TestClient {
        let c = try t.client()
        if api { try await c.apiSignIn(username) } else { _ = try await c.signIn(username) }
        return c
    }

    @Test("the API and the sheet page show an examiner only their own sheet until the whole panel has submitted")
    func blindThroughAPIAndPage() async throws {
        try await TestApp.with { t in
            let exam = try await SkillsExam.make(t)
            exam.at(minutes: 30, t)
            let (candidate, item) = (exam.fixture.candidates[0].uuidString, exam.itemIDs[0].uuidString)
            let sheets = "/api/v1/scoring/sessions/\(exam.sessionID.uuidString)/sheets"
            let query = sheets + "?candidateId=\(candidate)&itemId=\(item)"
            var apis: [TestClient] = []
            for e in exam.panel { apis.append(try await signedIn(t, e.username, api: true)) }
            let affairs = try await signedIn(t, exam.fixture.staff.username, api: true)

            let stored = try await apis[0].json(.POST, sheets, ["candidateId": candidate, "itemId": item, "entries": ["18", "36", "30", "10"], "clientRef": "a-1"])
            #expect(stored.status == .created && (stored.object["score"] as? Double) == 94)
            let bad = try await apis[1].json(.POST, sheets, ["candidateId": candidate, "itemId": item, "entries": ["18", "", "30", "10"], "clientRef": "b-1"])
            #expect(bad.status == .unprocessableEntity && bad.text.contains("\"field\":\"c2\""))
            _ = try await apis[1].json(.POST, sheets, ["candidateId": candidate, "itemId": item, "entries": ["20", "38", "30", "10"], "clientRef": "b-2"])

            let own = try await apis[0].get(query)
            #expect((own.object["sheets"] as? [Any])?.count == 1 && (own.object["allSubmitted"] as? Bool) == false)
            let other = try await apis[2].get(query)
            #expect((other.object["sheets"] as? [Any])?.count == 0 && (other.object["submitted"] as? Int) == 2)
            #expect((try await affairs.get(query).object["sheets"] as? [Any])?.count == 0)
            // The third examiner's page: the form, and nothing of the first two sheets.
            let page = try await signedIn(t, exam.panel[2].username)
            let form = try await page.get("/scoring/sessions/\(exam.sessionID.uuidString)/sheet?candidate=\(candidate)&item=\(item)")
            #expect(form.status == .ok && form.text.contains("id=\"sheet-form\"") && form.text.contains("id=\"blind\"") && !form.text.contains("sheet-score"))
            // Exam affairs reads the page for the progress only: no form to fill in.
            let affairsPage = try await signedIn(t, exam.fixture.staff.username)
                .get("/scoring/sessions/\(exam.sessionID.uuidString)/sheet?candidate=\(candidate)&item=\(item)")
            #expect(affairsPage.status == .ok && affairsPage.text.contains("id=\"blind\"") && !affairsPage.text.contains("id=\"sheet-form\""))

            // A replay of the first submission is recognised; a second, different one is refused.
            let replay = try await apis[0].json(.POST, sheets, ["candidateId": candidate, "itemId": item, "entries": ["0", "0", "0", "0"], "clientRef": "a-1"])
            #expect(replay.status == .created && (replay.object["score"] as? Double) == 94)
            let locked = try await apis[0].json(.POST, sheets, ["candidateId": candidate, "itemId": item, "entries": ["0", "0", "0", "0"], "clientRef": "a-2"])
            #expect(locked.status == .conflict && locked.text.contains("sheet_locked"))

            // Photos of the work go onto the examiner's own, locked sheet, checked by content; nobody else sees them yet.
            let mine = try #require(try await ScoreSheetRecord.query(on: t.db).filter(\.$examinerID == exam.panel[0].id).first()).id!.uuidString
            let firstPage = try await signedIn(t, exam.panel[0].username)
            let notPhoto = try await firstPage.postMultipart("/scoring/sheets/\(mine)/photos?_csrf=\(firstPage.cookie("sc_csrf") ?? "")",
                                                             files: [("photos", "work.jpg", "image/jpeg", Fixtures.pdf)])
            #expect(notPhoto.status == .badRequest && notPhoto.text.contains("不是照片"))
            let photo = try await firstPage.postMultipart("/scoring/sheets/\(mine)/photos?_csrf=\(firstPage.cookie("sc_csrf") ?? "")",
                                                          files: [("photos[]", "work.png", "image/png", Fixtures.png(width: 40, height: 30))])
            #expect(photo.status == .seeOther)
            #expect(try await firstPage.get("/scoring/sheets/\(mine)/photos/0").headers.contentType == .png)
            #expect(try await page.get("/scoring/sheets/\(mine)/photos/0").status == .notFound)

            let submitted = try await page.postForm("/scoring/sessions/\(exam.sessionID.uuidString)/sheets",
                                                    [("candidate", candidate), ("item", item), ("clientRef", "c-1"), ("c1", "19"), ("c2", "-2"), ("c3", "30"), ("c4", "10")])
            #expect(submitted.status == .seeOther)
            let all = try await apis[2].get(query)
            #expect((all.object["sheets"] as? [Any])?.count == 3 && (all.object["taskScore"] as? Double) == 96.3)  // (94 + 98 + 97) / 3
            #expect(try await page.get("/scoring/sheets/\(mine)/photos/0").status == .ok)
        }
    }

    @Test("a spread goes to the chief examiner's page; results are worked out, released and reviewed; the public list masks ID numbers")
    func resultsThroughPages() async throws {
        try await TestApp.with { t in
            let exam = try await SkillsExam.make(t, candidates: 1)
            let theory = try await exam.fixture.session(t, mode: .paper, start: "14:00", rooms: [exam.fixture.rooms[0]])
            try await SessionStore.allocateSeats(sessionID: theory.requireID(), seed: 3, actor: exam.fixture.staff.actor, on: t.db, time: t.time)
            let ticket = try #require(try await AdmissionTicketRecord.query(on: t.db).filter(\.$candidateID == exam.fixture.candidates[0]).first()).number
            for clerk in ["clerk-a", "clerk-b"] {
                let u = try await t.createUser(clerk, roles: [.examAffairs])
                try await TheoryScoreStore.enter(sessionID: theory.requireID(), ticketNumber: ticket, score: "82", reason: nil, actor: u.actor, on: t.db, time: t.time)
            }
            exam.at(minutes: 30, t)
            let sid = exam.sessionID.uuidString, candidate = exam.fixture.candidates[0].uuidString
            // Task 1: 100, 95 and 80 — a spread of 20; task 2: 80 from everyone.
            for (examiner, first) in zip(exam.panel, [["20", "40", "30", "10"], ["20", "35", "30", "10"], ["15", "25", "30", "10"]]) {
                let page = try await signedIn(t, examiner.username)
                let queue = try await page.get("/scoring/sessions/\(sid)")
                #expect(queue.text.contains(ticket) && queue.text.contains("三相异步电动机"))
                for (item, entries) in [(exam.itemIDs[0], first), (exam.itemIDs[1], ["50", "30"])] {
                    let fields = [("candidate", candidate), ("item", item.uuidString), ("clientRef", UUID().uuidString)]
                        + entries.enumerated().map { ("c\($0.offset + 1)", $0.element) }
                    let r = try await page.postForm("/scoring/sessions/\(sid)/sheets", fields)
                    #expect(r.status == .seeOther)
                }
            }
            let bad = try await signedIn(t, exam.panel[0].username).postForm("/scoring/sessions/\(sid)/sheets",
                [("candidate", candidate), ("item", exam.itemIDs[0].uuidString), ("clientRef", "x"), ("c1", "25"), ("c2", "1"), ("c3", "1"), ("c4", "1")])
            #expect(bad.status == .unprocessableEntity && bad.text.contains("第 1 项得分应在 0–20 分之间"))

            let chief = try await signedIn(t, exam.chief.username)
            let queue = try await chief.get("/scoring/chief")
            #expect(queue.text.contains("评分差 20 分，超过 10 分") && queue.text.contains(ticket))
            let taskID = try #require(try await TaskScoreRecord.query(on: t.db).filter(\.$state == "arbitration").first()?.requireID())
            #expect(try await chief.postForm("/scoring/tasks/\(taskID.uuidString)/arbitrate", [("score", "90"), ("reason", "")]).status == .unprocessableEntity)
            #expect(try await chief.postForm("/scoring/tasks/\(taskID.uuidString)/arbitrate", [("score", "90"), ("reason", "复看作品，接线工艺有两处瑕疵")]).status == .seeOther)

            let affairs = try await signedIn(t, exam.fixture.staff.username)
            let plan = exam.fixture.planID.uuidString
            #expect(try await affairs.postForm("/plans/\(plan)/results/compute", []).status == .seeOther)
            let results = try await affairs.get("/plans/\(plan)/results")
            #expect(results.text.contains("data-verdict=\"passed\"") && results.text.contains(">86<"))  // 90 × 0.6 + 80 × 0.4
            let exported = try await affairs.get("/plans/\(plan)/results.xlsx")
            #expect(exported.status == .ok && exported.headers.contentType?.subType.contains("spreadsheet") == true)

            // Nothing for the candidate before the release day.
            let me = try await signedIn(t, "cand0")
            #expect(try await me.get("/me/results").text.contains("id=\"no-results\""))
            let today = t.time.now().chinaLocalDate
            #expect(try await affairs.postForm("/plans/\(plan)/results/release", [("date", today.description)]).status == .seeOther)
            let mine = try await me.get("/me/results")
            #expect(mine.text.contains("合格") && mine.text.contains("id=\"review-form\""))
            let resultID = try #require(try await ResultRecord.query(on: t.db).first()?.requireID())
            #expect(try await me.postForm("/me/results/\(resultID.uuidString)/review", [("part", "skills"), ("text", "")]).status == .unprocessableEntity)
            #expect(try await me.postForm("/me/results/\(resultID.uuidString)/review", [("part", "skills"), ("text", "实操成绩低于预期，申请复核")]).status == .seeOther)
            let reviewID = try #require(try await ScoreReview.query(on: t.db).first()?.requireID())
            let refused = try await affairs.postForm("/score-reviews/\(reviewID.uuidString)/assign", [("reviewers[]", exam.panel[0].id.uuidString)])
            #expect(refused.status == .conflict && refused.text.contains("参与过该考生的评分"))
            let reviewer = exam.fixture.examiners[4]
            #expect(try await affairs.postForm("/score-reviews/\(reviewID.uuidString)/assign", [("reviewers[]", reviewer.id.uuidString)]).status == .seeOther)
            let reviewerPage = try await signedIn(t, reviewer.username)
            #expect(try await reviewerPage.get("/score-reviews").text.contains("/score-reviews/\(reviewID.uuidString)/answer"))
            #expect(try await reviewerPage.postForm("/score-reviews/\(reviewID.uuidString)/answer", [("score", ""), ("answer", "逐项核对加分无误，成绩维持")]).status == .seeOther)
            #expect(try await me.get("/me/results").text.contains("逐项核对加分无误"))

            #expect(try await affairs.postForm("/plans/\(plan)/publicity", []).status == .seeOther)
            let publicityID = try #require(try await PublicityRecord.query(on: t.db).first()?.requireID())
            let anonymous = try t.client()
            let list = try await anonymous.get("/publicity/\(publicityID.uuidString)")
            #expect(list.status == .ok && list.text.contains("考生0") && list.text.contains("320102********") && !list.text.contains("320102199001010"))
            let objection = try await anonymous.postForm("/publicity/\(publicityID.uuidString)/objections", [("subject", "考生0"), ("text", ""), ("contactName", "王"), ("contact", "1")])
            #expect(objection.status == .unprocessableEntity && objection.text.contains("异议内容"))
            let finalize = try await affairs.postForm("/publicity/\(publicityID.uuidString)/finalize", [])
            #expect(finalize.status == .conflict && finalize.text.contains("不能提前结束"))
        }
    }

    @Test("a 二级 candidate hands in the review dossier on a page; the panel reads it beside the rubric, an examiner of no panel cannot")
    func dossierPages() async throws {
        try await TestApp.with { t in
            let exam = try await SkillsExam.make(t, candidates: 1, mode: .review)
            let me = try await signedIn(t, "cand0")
            let application = try #require(try await StoredApplication.query(on: t.db).first()).id!.uuidString
            let page = try await me.get("/me/dossier")
            #expect(page.text.contains("/me/dossier/\(application)") && page.text.contains("工作业绩与成果"))
            let bad = try await me.postMultipart("/me/dossier/\(application)", fields: [("category", "工作业绩与成果")],
                                                 files: [("file", "业绩.pdf", "application/pdf", Data("PK\u{3}\u{4} renamed zip".utf8))])
            #expect(bad.status == .unprocessableEntity && bad.text.contains("不是 PDF、JPEG 或 PNG 文件"))
            let good = try await me.postMultipart("/me/dossier/\(application)", fields: [("category", "工作业绩与成果")],
                                                  files: [("file", "业绩.pdf", "application/pdf", Fixtures.pdf)])
            #expect(good.status == .seeOther)
            #expect(try await me.get("/me/dossier").text.contains("业绩.pdf"))

            exam.at(minutes: 5, t)
            let sheet = "/scoring/sessions/\(exam.sessionID.uuidString)/sheet?candidate=\(exam.fixture.candidates[0].uuidString)&item=\(ScoringStore.reviewRubricID.uuidString)"
            let examiner = try await signedIn(t, exam.panel[0].username)
            let rubric = try await examiner.get(sheet)
            #expect(rubric.text.contains("答辩：陈述与回答问题") && rubric.text.contains("业绩.pdf"))
            let material = try #require(try await ApplicationMaterial.query(on: t.db).first()).id!.uuidString
            let file = "/scoring/sessions/\(exam.sessionID.uuidString)/dossier/\(material)"
            let read = try await examiner.get(file)
            #expect(read.status == .ok && read.text.hasPrefix("%PDF"))
            #expect(try await signedIn(t, exam.fixture.examiners[5].username).get(file).status == .notFound)
            // The review has started: nothing more goes in.
            let later = try await signedIn(t, "cand0")
            let locked = try await later.postMultipart("/me/dossier/\(application)", fields: [("category", "个人工作总结")],
                                                       files: [("file", "总结.pdf", "application/pdf", Fixtures.pdf)])
            #expect(locked.status == .conflict && locked.text.contains("评审材料不能再添加"))
        }
    }
}
