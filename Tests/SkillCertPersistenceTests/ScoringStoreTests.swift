import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
@testable import SkillCertPersistence

@Suite("Skills scoring by examiner panels: blind sheets, locks and corrections, aggregation and arbitration")
struct ScoringStoreTests {
    let sealer = ExamFixture.sealer
    /// Full marks on the first task card, and 30 points off (one wiring fault too many, the test run failed).
    let full = ["20", "40", "30", "10"]

    @Test("nobody reads another examiner's sheet before the whole panel has submitted; outsiders cannot score")
    func blindness() async throws {
        try await TestApp.with { t in
            let exam = try await SkillsExam.make(t)
            let candidate = exam.fixture.candidates[0]
            func view(_ who: SignedInUser) async throws -> ScoringStore.SheetsView {
                try await ScoringStore.sheets(sessionID: exam.sessionID, candidateID: candidate, itemID: exam.itemIDs[0], viewer: who.id, on: t.db)
            }
            exam.at(minutes: -10, t)
            #expect(await failureCode { try await exam.score(t, exam.panel[0], candidate: 0, full) } == "not_started")
            exam.at(minutes: 30, t)
            #expect(await failureCode { try await exam.score(t, exam.fixture.examiners[4], candidate: 0, full) } == "not_on_panel")
            // A panel of two (an examiner taken off) does not score: panels are odd, at least three.
            let third = try #require(try await StaffAssignment.query(on: t.db).filter(\.$userID == exam.panel[2].id).first())
            try await SessionStore.unassign(sessionID: exam.sessionID, assignmentID: third.requireID(), actor: exam.fixture.staff.actor, on: t.db, time: t.time)
            #expect(await failureCode { try await exam.score(t, exam.panel[0], candidate: 0, full) } == "panel_not_odd")
            try await SessionStore.assign(sessionID: exam.sessionID, userID: exam.panel[2].id, role: .examiner, roomID: exam.fixture.rooms[0].id,
                                          actor: exam.fixture.staff.actor, on: t.db, time: t.time)
            #expect(await failureCode { try await exam.score(t, exam.chief, candidate: 0, full) } == "not_on_panel")

            try await exam.score(t, exam.panel[0], candidate: 0, ["18", "36", "30", "10"])
            try await exam.score(t, exam.panel[1], candidate: 0, ["20", "-2", "30", "10"])
            let own = try await view(exam.panel[0])
            #expect(own.visible.count == 1 && own.visible[0].examinerID == exam.panel[0].id && own.submitted == 2 && !own.allIn)
            #expect(own.score == nil)
            #expect(try await view(exam.panel[2]).visible.isEmpty)
            #expect(try await view(exam.chief).visible.isEmpty)
            #expect(try await view(exam.fixture.staff).visible.isEmpty)

            try await exam.score(t, exam.panel[2], candidate: 0, ["19", "38", "30", "10"])
            let all = try await view(exam.chief)
            #expect(all.allIn && all.visible.count == 3)
            #expect(all.score?.stateValue == .settled && all.score?.score == 96.3)  // (94 + 98 + 97) / 3
        }
    }

    @Test("a submitted sheet is locked; a replay is recognised; a correction needs a reason and the chief's approval and keeps the original")
    func lockAndCorrection() async throws {
        try await TestApp.with { t in
            let exam = try await SkillsExam.make(t)
            exam.at(minutes: 30, t)
            let first = try await exam.score(t, exam.panel[0], candidate: 0, ["18", "36", "30", "10"], ref: "sheet-1")
            // The phone lost the answer and sends the same submission again: the stored sheet comes back.
            let replay = try await exam.score(t, exam.panel[0], candidate: 0, ["0", "0", "0", "0"], ref: "sheet-1")
            #expect(replay.id == first.id && replay.score == 94)
            #expect(await failureCode { try await exam.score(t, exam.panel[0], candidate: 0, full, ref: "sheet-2") } == "sheet_locked")
            #expect(await failureCode { try await exam.score(t, exam.panel[1], candidate: 0, ["20", "50", "30", "10"]) } == "invalid_points:c2")

            func request(_ who: SignedInUser, reason: String) async throws -> SheetCorrection {
                try await ScoringStore.requestCorrection(sheetID: first.requireID(), entries: ["18", "40", "30", "10"], vetoed: [], comment: "",
                                                         reason: reason, actor: who.actor, sealer: sealer, on: t.db, time: t.time)
            }
            #expect(await failureCode { _ = try await request(exam.panel[1], reason: "看错") } == "not_your_sheet")
            #expect(await failureCode { _ = try await request(exam.panel[0], reason: " ") } == "required:reason")
            let correction = try await request(exam.panel[0], reason: "接线工艺误记扣分，复看后无错误")
            #expect(await failureCode { _ = try await request(exam.panel[0], reason: "再次") } == "correction_pending")
            // Nobody but the panel's chief examiner decides; refusing needs a note.
            #expect(await failureCode {
                _ = try await ScoringStore.decideCorrection(correction.requireID(), approve: true, note: "", actor: exam.panel[1].actor, on: t.db, time: t.time)
            } == "chief_required")
            #expect(await failureCode {
                _ = try await ScoringStore.decideCorrection(correction.requireID(), approve: false, note: "", actor: exam.chief.actor, on: t.db, time: t.time)
            } == "required:note")
            try await ScoringStore.decideCorrection(correction.requireID(), approve: true, note: "", actor: exam.chief.actor, on: t.db, time: t.time)

            let sheet = try #require(try await ScoreSheetRecord.find(first.id, on: t.db))
            #expect(sheet.score == 98 && sheet.correctedAt != nil && sheet.marksValue.points == [18, 40, 30, 10])
            let kept = try #require(try await SheetCorrection.find(correction.id, on: t.db))
            #expect(kept.statusValue == .approved && kept.originalScore == 94 && kept.originalMarks.contains("36"))
            let actions = try await AuditEntry.query(on: t.db).all().map(\.action)
            #expect(actions.contains("score-sheet.submit") && actions.contains("score-sheet.correction-request") && actions.contains("score-sheet.correction-approve"))
        }
    }

    @Test("a spread above the threshold waits for the chief examiner, whose decision and reason settle it; the part score weighs tasks by points")
    func arbitration() async throws {
        try await TestApp.with { t in
            let exam = try await SkillsExam.make(t)
            exam.at(minutes: 30, t)
            try await exam.score(t, exam.panel[0], candidate: 0, ["20", "40", "30", "10"])   // 100
            try await exam.score(t, exam.panel[1], candidate: 0, ["20", "35", "30", "10"])   // 95
            try await exam.score(t, exam.panel[2], candidate: 0, ["15", "30", "30", "10"])   // 85: spread 15
            let task = try #require(try await TaskScoreRecord.query(on: t.db).filter(\.$candidateID == exam.fixture.candidates[0]).first())
            #expect(task.stateValue == .arbitration && task.spread == 15 && task.score == nil)
            #expect(try await ScoringStore.chiefQueue(chiefID: exam.chief.id, on: t.db).arbitrations.map(\.id) == [task.id])
            #expect(try await ScoringStore.chiefQueue(chiefID: exam.panel[0].id, on: t.db).arbitrations.isEmpty)

            func arbitrate(_ who: SignedInUser, _ score: String, _ reason: String) async throws {
                try await ScoringStore.arbitrate(taskScoreID: task.requireID(), score: score, reason: reason, actor: who.actor, on: t.db, time: t.time)
            }
            #expect(await failureCode { try await arbitrate(exam.panel[0], "95", "复看录像") } == "chief_required")
            #expect(await failureCode { try await arbitrate(exam.chief, "95", "") } == "required:reason")
            #expect(await failureCode { try await arbitrate(exam.chief, "105", "复看录像") } == "invalid_score:score")
            try await arbitrate(exam.chief, "93", "复看作品照片，元件布置无明显问题")
            #expect(await failureCode { try await arbitrate(exam.chief, "90", "再议") } == "not_in_arbitration")

            // The second task settles at the mean (spread 10, not above the threshold); the part weighs 60 and 40 points.
            try await exam.score(t, exam.panel[0], candidate: 0, task: 1, ["60", "40"])
            try await exam.score(t, exam.panel[1], candidate: 0, task: 1, ["55", "40"])
            var parts = try await ScoringStore.partScores(sessionID: exam.sessionID, sealer: sealer, on: t.db, time: t.time)
            #expect(parts[exam.fixture.candidates[0]] == .some(nil))  // the second task is still waiting for a sheet
            try await exam.score(t, exam.panel[2], candidate: 0, task: 1, ["55", "35"])
            parts = try await ScoringStore.partScores(sessionID: exam.sessionID, sealer: sealer, on: t.db, time: t.time)
            #expect(parts[exam.fixture.candidates[0]] == .some(93.8))  // 93 × 0.6 + 95 × 0.4

            let actions = try await AuditEntry.query(on: t.db).all().map(\.action)
            #expect(actions.contains("task-score.arbitrate"))
        }
    }

    @Test("the body's threshold and trimmed-mean settings decide how the same sheets settle")
    func settings() async throws {
        try await TestApp.with { t in
            let exam = try await SkillsExam.make(t)
            exam.at(minutes: 30, t)
            try await SettingsStore.set(.scoreSpreadThreshold, to: 20, reason: "本站评分细则", on: t.db, actor: exam.fixture.staff.actor, time: t.time)
            try await exam.score(t, exam.panel[0], candidate: 0, ["20", "40", "30", "10"])
            try await exam.score(t, exam.panel[1], candidate: 0, ["20", "35", "30", "10"])
            try await exam.score(t, exam.panel[2], candidate: 0, ["15", "30", "30", "10"])
            let task = try #require(try await TaskScoreRecord.query(on: t.db).filter(\.$candidateID == exam.fixture.candidates[0]).first())
            #expect(task.stateValue == .settled && task.score == 93.3 && task.method == "mean")
            // A veto marked by one examiner of three: the chief decides.
            try await exam.score(t, exam.panel[0], candidate: 1, ["20", "40", "30", "0"], vetoed: [3])
            try await exam.score(t, exam.panel[1], candidate: 1, full)
            try await exam.score(t, exam.panel[2], candidate: 1, full)
            let split = try #require(try await TaskScoreRecord.query(on: t.db).filter(\.$candidateID == exam.fixture.candidates[1]).first())
            #expect(split.stateValue == .arbitration && split.arbitrationReason?.contains("否决") == true)
        }
    }

    @Test("a comprehensive review is scored by its panel on the review rubric; the candidate's dossier is checked by content and closes when the review starts")
    func comprehensiveReview() async throws {
        try await TestApp.with { t in
            let exam = try await SkillsExam.make(t, candidates: 1, mode: .review)
            let candidate = try #require(try await User.find(exam.fixture.candidates[0], on: t.db))
            let actor = AuditActor(id: candidate.id, name: candidate.username)
            let application = try #require(try await StoredApplication.query(on: t.db).filter(\.$candidateID == candidate.requireID()).first())
            let files = LocalFileStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("dossier-\(UUID().uuidString)"))
            func add(_ category: String, _ name: String, _ data: Data) async throws {
                try await DossierStore.add(applicationID: application.requireID(), category: category, fileName: name, data: data, candidate: actor,
                                           files: files, on: t.db, time: t.time)
            }
            #expect(await failureCode { try await add("工作业绩与成果", "业绩.pdf", Data("not a pdf".utf8)) } == "unsupported_type:file")
            #expect(await failureCode { try await add("其他", "业绩.pdf", Fixtures.pdf) } == "invalid_category:category")
            try await add("工作业绩与成果", "业绩.pdf", Fixtures.pdf)
            try await add("个人工作总结", "总结.pdf", Fixtures.pdf)
            // A 四级 candidate of the same plan has no review and so no dossier.
            let junior = try await ExamFixture.approvedCandidate(t, planID: exam.fixture.planID, index: 7, employer: "单位7")
            let juniorApplication = try #require(try await StoredApplication.query(on: t.db).filter(\.$candidateID == junior).first())
            #expect(await failureCode {
                try await DossierStore.add(applicationID: juniorApplication.requireID(), category: "个人工作总结", fileName: "总结.pdf", data: Fixtures.pdf,
                                           candidate: AuditActor(id: junior, name: "cand7"), files: files, on: t.db, time: t.time)
            } == "no_review_part")

            exam.at(minutes: 5, t)
            #expect(await failureCode { try await add("论文或技术总结", "论文.pdf", Fixtures.pdf) } == "dossier_locked")
            #expect(try await DossierStore.forSession(sessionID: exam.sessionID, candidateID: candidate.requireID(), on: t.db).map(\.name)
                    == ["工作业绩与成果", "个人工作总结"])

            // The rubric: 20 + 20 + 20 + 40 points.
            try await exam.score(t, exam.panel[0], candidate: 0, ["18", "16", "17", "35"])  // 86
            try await exam.score(t, exam.panel[1], candidate: 0, ["17", "16", "16", "33"])  // 82
            try await exam.score(t, exam.panel[2], candidate: 0, ["18", "17", "18", "36"])  // 89
            let parts = try await ScoringStore.partScores(sessionID: exam.sessionID, sealer: sealer, on: t.db, time: t.time)
            #expect(parts[candidate.id!] == .some(85.7))
            let actions = try await AuditEntry.query(on: t.db).all().map(\.action)
            #expect(actions.filter { $0 == "dossier.upload" }.count == 2)
        }
    }
}
