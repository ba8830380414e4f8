import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
@testable import SkillCertPersistence

@Suite("Results: pass rules, release, score review (复核) and publicity (公示)")
struct ResultStoreTests {
    let sealer = ExamFixture.sealer

    /// Four candidates of a 四级 plan with a skills session (the panel of `SkillsExam`) and a paper-based theory session:
    /// 0 passes (theory 75, skills 92); 1 fails theory (55); 2 fails skills (50); 3 missed the theory exam.
    struct Plan {
        var exam: SkillsExam
        var theoryID: UUID
        var clerks: (SignedInUser, SignedInUser)
        var candidates: [UUID] { exam.fixture.candidates }
        var planID: UUID { exam.fixture.planID }
    }

    func plan(_ t: TestApp, theory: Bool = true) async throws -> Plan {
        let exam = try await SkillsExam.make(t, candidates: 4)
        let theorySession = try await exam.fixture.session(t, mode: .paper, start: "14:00", rooms: [exam.fixture.rooms[0]])
        let theoryID = try theorySession.requireID()
        try await SessionStore.allocateSeats(sessionID: theoryID, seed: 3, actor: exam.fixture.staff.actor, on: t.db, time: t.time)
        let clerks = (try await t.createUser("clerk-a", roles: [.examAffairs]), try await t.createUser("clerk-b", roles: [.examAffairs]))
        exam.at(minutes: 30, t)
        let full = ["20", "40", "30", "10"], half = ["10", "20", "10", "10"]
        for (i, sheets) in [(full, ["50", "30"]), (full, ["50", "30"]), (half, ["30", "20"]), (full, ["50", "30"])].enumerated() {
            for examiner in exam.panel {
                try await exam.score(t, examiner, candidate: i, task: 0, sheets.0)
                try await exam.score(t, examiner, candidate: i, task: 1, sheets.1)
            }
        }
        let absent = try #require(try await SeatAssignment.query(on: t.db).filter(\.$sessionID == theoryID).filter(\.$candidateID == exam.fixture.candidates[3]).first())
        absent.attendance = "absent"
        try await absent.save(on: t.db)
        if theory {
            for (i, score) in ["75", "55", "80"].enumerated() { try await enterTheory(t, exam, theoryID, clerks, candidate: i, score) }
        }
        return Plan(exam: exam, theoryID: theoryID, clerks: clerks)
    }

    func enterTheory(_ t: TestApp, _ exam: SkillsExam, _ sessionID: UUID, _ clerks: (SignedInUser, SignedInUser), candidate i: Int, _ score: String) async throws {
        let ticket = try #require(try await AdmissionTicketRecord.query(on: t.db).filter(\.$candidateID == exam.fixture.candidates[i]).first()).number
        for clerk in [clerks.0, clerks.1] {
            try await TheoryScoreStore.enter(sessionID: sessionID, ticketNumber: ticket, score: score, reason: nil, actor: clerk.actor, on: t.db, time: t.time)
        }
    }

    func result(_ t: TestApp, _ candidate: UUID) async throws -> ResultRecord {
        try #require(try await ResultRecord.query(on: t.db).filter(\.$candidateID == candidate).first())
    }

    func day(_ iso: String, _ t: TestApp, hour: Int = 10) {
        let target = TimeSlot(date: LocalDate(iso: iso)!, startMinute: hour * 60, minutes: 0).start
        t.time.advance(by: target.timeIntervalSince(t.time.now()))
    }

    @Test("every required part at least its pass mark; a missed part fails; only decided results are released; candidates see them only from the release day")
    func resultsAndRelease() async throws {
        try await TestApp.with { t in
            let p = try await plan(t, theory: false)
            let staff = p.exam.fixture.staff
            var summary = try await ResultStore.compute(planID: p.planID, actor: staff.actor, sealer: sealer, on: t.db, time: t.time)
            #expect(summary.incomplete == 3 && summary.failed == 1)  // only the absentee's result is decided
            #expect(await failureCode { _ = try await ResultStore.release(planID: p.planID, on: LocalDate(iso: "2027-01-09")!, actor: staff.actor, db: t.db, time: t.time) }
                    == "in_the_past:date")
            // Only decided results go out; the three waiting for a theory score stay back.
            #expect(try await ResultStore.release(planID: p.planID, on: LocalDate(iso: "2027-01-18")!, actor: staff.actor, db: t.db, time: t.time) == 1)

            for (i, score) in ["75", "55", "80"].enumerated() { try await enterTheory(t, p.exam, p.theoryID, p.clerks, candidate: i, score) }
            summary = try await ResultStore.compute(planID: p.planID, actor: staff.actor, sealer: sealer, on: t.db, time: t.time)
            #expect(summary == .init(passed: 1, failed: 2, incomplete: 0, released: 1))
            let r0 = try await result(t, p.candidates[0]), r1 = try await result(t, p.candidates[1])
            let r2 = try await result(t, p.candidates[2]), r3 = try await result(t, p.candidates[3])
            #expect(r0.verdict == "passed" && r0.theory == 75 && r0.skills == 92)
            #expect(r1.verdict == "failed" && r1.verdictPartList == [.theory])
            #expect(r2.verdict == "failed" && r2.verdictPartList == [.skills] && r2.skills == 50)
            #expect(r3.verdict == "failed" && r3.absent == [.theory] && r3.theory == nil)

            day("2027-01-15", t)
            #expect(try await ResultStore.release(planID: p.planID, on: LocalDate(iso: "2027-01-18")!, actor: staff.actor, db: t.db, time: t.time) == 3)
            #expect(await failureCode { _ = try await ResultStore.release(planID: p.planID, on: LocalDate(iso: "2027-01-18")!, actor: staff.actor, db: t.db, time: t.time) }
                    == "nothing_to_release")
            #expect(try await ResultStore.forCandidate(p.candidates[0], on: t.db, time: t.time).isEmpty)
            day("2027-01-18", t)
            #expect(try await ResultStore.forCandidate(p.candidates[0], on: t.db, time: t.time).map(\.verdict) == ["passed"])
            // Released results stay as they are when worked out again.
            #expect(try await ResultStore.compute(planID: p.planID, actor: staff.actor, sealer: sealer, on: t.db, time: t.time).released == 4)
            let actions = try await AuditEntry.query(on: t.db).all().map(\.action)
            #expect(actions.filter { $0 == "result.compute" }.count == 7 && actions.contains("results.release"))  // 4 new, then 3 changed
        }
    }

    @Test("a review is asked for within the working-day window, handled by someone who did not score the candidate, and a changed score keeps the old one")
    func scoreReview() async throws {
        try await TestApp.with { t in
            let p = try await plan(t)
            let staff = p.exam.fixture.staff
            try await ResultStore.compute(planID: p.planID, actor: staff.actor, sealer: sealer, on: t.db, time: t.time)
            day("2027-01-15", t)  // a Friday
            try await ResultStore.release(planID: p.planID, on: LocalDate(iso: "2027-01-15")!, actor: staff.actor, db: t.db, time: t.time)
            let r2 = try await result(t, p.candidates[2])
            let candidate = try #require(try await User.find(p.candidates[2], on: t.db))
            let actor = AuditActor(id: candidate.id, name: candidate.username)
            func request(_ part: AssessmentPartKind, by who: AuditActor = actor) async throws -> ScoreReview {
                try await ResultStore.requestReview(resultID: r2.requireID(), part: part, text: "对操作技能成绩有疑问，申请复核加分", actor: who, on: t.db, time: t.time)
            }
            #expect(await failureCode { _ = try await request(.skills, by: p.exam.fixture.staff.actor) } == "not_found:result")
            #expect(await failureCode { _ = try await request(.comprehensiveReview) } == "no_score:part")
            let review = try await request(.skills)
            #expect(review.dueOn == "2027-01-29" && review.oldScore == 50)  // ten working days after Friday 01-15
            #expect(await failureCode { _ = try await request(.skills) } == "review_exists")

            // The window closes ten working days after release: 2027-01-29.
            day("2027-02-01", t)
            #expect(await failureCode { _ = try await request(.theory) } == "review_window_closed")
            #expect(try await ResultStore.overdueReviews(on: t.db, time: t.time).map(\.id) == [review.id])

            let reviewer = p.exam.fixture.examiners[4]
            #expect(await failureCode {
                _ = try await ResultStore.assignReviewers(reviewID: review.requireID(), reviewers: [p.exam.panel[1].id, reviewer.id], actor: staff.actor, on: t.db, time: t.time)
            } == "reviewer_scored")
            try await ResultStore.assignReviewers(reviewID: review.requireID(), reviewers: [reviewer.id], actor: staff.actor, on: t.db, time: t.time)
            #expect(await failureCode {
                _ = try await ResultStore.answerReview(reviewID: review.requireID(), newScore: "62", answer: "漏计", actor: p.exam.panel[0].actor, on: t.db, time: t.time)
            } == "not_reviewer")
            #expect(await failureCode {
                _ = try await ResultStore.answerReview(reviewID: review.requireID(), newScore: "62", answer: " ", actor: reviewer.actor, on: t.db, time: t.time)
            } == "required:answer")
            try await ResultStore.answerReview(reviewID: review.requireID(), newScore: "62", answer: "第二项任务评分表“排除与记录”漏计 12 分，更正为 62 分",
                                               actor: reviewer.actor, on: t.db, time: t.time)
            let changed = try await result(t, p.candidates[2])
            #expect(changed.skills == 62 && changed.verdict == "passed")
            let answered = try #require(try await ScoreReview.find(review.id, on: t.db))
            #expect(answered.oldScore == 50 && answered.newScore == 62 && answered.answeredBy == reviewer.id && answered.statusValue == .answered)
            #expect(try await ResultStore.overdueReviews(on: t.db, time: t.time).isEmpty)
            let change = try await AuditEntry.query(on: t.db).filter(\.$action == "result.review-change").all()
            #expect(change.count == 1 && change[0].details.contains("50 → 62"))
        }
    }

    @Test("publicity lists only passing candidates with masked IDs, cannot end early, and cannot finalise with an open objection")
    func publicity() async throws {
        try await TestApp.with { t in
            let p = try await plan(t)
            let staff = p.exam.fixture.staff
            try await ResultStore.compute(planID: p.planID, actor: staff.actor, sealer: sealer, on: t.db, time: t.time)
            day("2027-01-15", t)
            #expect(await failureCode { _ = try await ResultStore.publish(planID: p.planID, actor: staff.actor, on: t.db, time: t.time) } == "nothing_to_publish")
            try await ResultStore.release(planID: p.planID, on: LocalDate(iso: "2027-01-15")!, actor: staff.actor, db: t.db, time: t.time)
            day("2027-01-18", t)  // Monday: five working days run to Friday 01-22
            let publicity = try await ResultStore.publish(planID: p.planID, actor: staff.actor, on: t.db, time: t.time)
            #expect(publicity.lastDay == "2027-01-22")
            #expect(await failureCode { _ = try await ResultStore.publish(planID: p.planID, actor: staff.actor, on: t.db, time: t.time) } == "nothing_to_publish")  // everyone passing is listed already
            let list = try await ResultStore.publicList(publicity, on: t.db)
            #expect(list.count == 1 && list[0].name == "考生0" && list[0].maskedID.contains("********") && list[0].occupation == "电工")

            #expect(await failureCode {
                _ = try await ResultStore.raiseObjection(publicityID: publicity.requireID(), subject: "考生0", text: "", contactName: "王某", contact: "13800000000", on: t.db, time: t.time)
            } == "required:text")
            let objection = try await ResultStore.raiseObjection(publicityID: publicity.requireID(), subject: "考生0", text: "该考生实际未参加实操考核",
                                                                 contactName: "王某", contact: "13800000000", on: t.db, time: t.time)
            day("2027-01-22", t, hour: 17)
            #expect(await failureCode { _ = try await ResultStore.finalize(publicityID: publicity.requireID(), actor: staff.actor, on: t.db, time: t.time) } == "publicity_not_over")
            day("2027-01-25", t)
            #expect(await failureCode { _ = try await ResultStore.finalize(publicityID: publicity.requireID(), actor: staff.actor, on: t.db, time: t.time) } == "objection_open")
            try await ResultStore.handleObjection(objection.requireID(), investigation: "调取签到表和考场录像", answer: "", actor: staff.actor, on: t.db, time: t.time)
            #expect(await failureCode { _ = try await ResultStore.finalize(publicityID: publicity.requireID(), actor: staff.actor, on: t.db, time: t.time) } == "objection_open")
            try await ResultStore.handleObjection(objection.requireID(), investigation: "签到表与录像显示该考生全程参加", answer: "经核查，异议不成立",
                                                  actor: staff.actor, on: t.db, time: t.time)
            try await ResultStore.finalize(publicityID: publicity.requireID(), actor: staff.actor, on: t.db, time: t.time)
            #expect(try await result(t, p.candidates[0]).final)
            #expect(!(try await result(t, p.candidates[1]).final))
            let actions = Set(try await AuditEntry.query(on: t.db).all().map(\.action))
            #expect(actions.isSuperset(of: ["publicity.publish", "objection.register", "objection.investigating", "objection.answered", "publicity.finalize"]))
        }
    }

    @Test("before a skills session is held its candidates' results simply wait")
    func notYetHeld() async throws {
        try await TestApp.with { t in
            let exam = try await SkillsExam.make(t, candidates: 1)
            exam.at(minutes: -60, t)
            let summary = try await ResultStore.compute(planID: exam.fixture.planID, actor: exam.fixture.staff.actor, sealer: sealer, on: t.db, time: t.time)
            #expect(summary.incomplete == 1 && summary.passed == 0 && summary.failed == 0)
        }
    }
}
