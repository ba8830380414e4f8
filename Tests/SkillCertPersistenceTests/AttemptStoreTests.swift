import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
@testable import SkillCertPersistence

@Suite("Computer-based theory exams: sign-in, autosave, submission, invigilation")
struct AttemptStoreTests {
    let sealer = ExamFixture.sealer

    func login(_ exam: ComputerExam, _ t: TestApp, candidate i: Int = 0, password: String? = nil) async throws -> AttemptStore.Login {
        try await AttemptStore.login(ticketNumber: exam.logins[i].ticket, idNumber: exam.logins[i].idNumber, sessionPassword: password,
                                     sealer: sealer, on: t.db, time: t.time)
    }

    func attempt(_ token: String, _ t: TestApp) async throws -> ExamAttempt {
        try #require(try await AttemptStore.authenticate(token: token, on: t.db))
    }

    func save(_ token: String, item: Int, _ response: [String], seq: Int, _ exam: ComputerExam, _ t: TestApp) async throws -> AnswerSave {
        try await AttemptStore.save(try await attempt(token, t), itemID: exam.content.entries[item].itemID, response: response, seq: seq,
                                    sealer: sealer, on: t.db, time: t.time)
    }


    @Test("sign-in checks ticket, ID and session password; the paper has no keys; saves keep the newest; submission grades")
    func signInSaveSubmit() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 2, password: "8421")
            exam.at(minutes: -60, t)
            #expect(await failureCode { _ = try await login(exam, t, password: "8421") } == "no_open_session")
            exam.at(minutes: -20, t)
            #expect(await failureCode { _ = try await login(exam, t, password: "1111") } == "wrong_session_password")
            #expect(await failureCode {
                _ = try await AttemptStore.login(ticketNumber: exam.logins[0].ticket, idNumber: exam.logins[1].idNumber, sessionPassword: "8421",
                                                 sealer: sealer, on: t.db, time: t.time)
            } == "login_failed")
            let session = try #require(try await ExamSession.find(exam.sessionID, on: t.db))
            let signedIn = try await login(exam, t, password: " 8421 ")
            // Before the start: identity and a countdown, no paper.
            let waiting = try await AttemptStore.view(try await attempt(signedIn.token, t), sealer: sealer, on: t.db, time: t.time)
            #expect(waiting.status == "not-started" && waiting.startsInSeconds == 1200 && waiting.items.isEmpty && waiting.candidateName == "考生0")
            #expect(try await save(signedIn.token, item: 0, ["1"], seq: 1, exam, t) == .closed)

            exam.at(minutes: 0.5, t)
            let view = try await AttemptStore.view(try await attempt(signedIn.token, t), sealer: sealer, on: t.db, time: t.time)
            #expect(view.status == "in-progress" && view.items.count == 4 && view.totalPoints == 100)
            #expect(view.remainingSeconds == session.minutes * 60 - 30)
            let json = String(decoding: try JSONEncoder().encode(view), as: UTF8.self)
            #expect(!json.contains("correct") && !json.contains("acceptedAnswers") && !json.contains("三十六"))
            #expect(Set(view.items.map(\.itemId)) == Set(exam.content.entries.map(\.itemID)))

            // Replays and stale saves: the newest sequence number wins.
            #expect(try await save(signedIn.token, item: 0, ["1"], seq: 1, exam, t) == .stored)
            #expect(try await save(signedIn.token, item: 0, ["1"], seq: 1, exam, t) == .duplicate)
            #expect(try await save(signedIn.token, item: 0, ["0"], seq: 3, exam, t) == .stored)
            #expect(try await save(signedIn.token, item: 0, ["1"], seq: 2, exam, t) == .stale)
            #expect(try await save(signedIn.token, item: 1, ["3", "0", "1"], seq: 4, exam, t) == .stored)
            #expect(try await save(signedIn.token, item: 2, ["1"], seq: 5, exam, t) == .stored)
            #expect(try await save(signedIn.token, item: 3, [" ３６ "], seq: 6, exam, t) == .stored)
            let saved = try await AttemptStore.view(try await attempt(signedIn.token, t), sealer: sealer, on: t.db, time: t.time).answers
            #expect(saved[exam.content.entries[0].itemID.uuidString]?.response == ["0"] && saved[exam.content.entries[0].itemID.uuidString]?.seq == 3)

            let submitted = try await AttemptStore.submit(try await attempt(signedIn.token, t), endedBy: .candidate, reason: nil,
                                                          actor: .system("candidate"), sealer: sealer, on: t.db, time: t.time)
            // Single choice wrong (0 of 40), multiple choice exact (30), true/false right (20), fill-in on the list (10).
            #expect(submitted.statusValue == .submitted && submitted.score == 60 && submitted.pendingReview == 0)
            // Nothing is written after the submission, and the submitted answer stays.
            #expect(try await save(signedIn.token, item: 0, ["1"], seq: 9, exam, t) == .closed)
            let answers = try await AttemptStore.storedAnswers(signedIn.attemptID, actor: .system("staff"), on: t.db, time: t.time).1
            #expect(answers.first { $0.itemID == exam.content.entries[0].itemID }?.responseValues == ["0"])
            #expect(await failureCode { _ = try await login(exam, t, password: "8421") } == "attempt_closed")
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "exam.submit").count() == 1)
        }
    }

    @Test("a second client needs the invigilator's resume, then continues with the same paper, answers and time")
    func resume() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 1)
            exam.at(minutes: 5, t)
            let first = try await login(exam, t)
            let before = try await AttemptStore.view(try await attempt(first.token, t), sealer: sealer, on: t.db, time: t.time)
            #expect(try await save(first.token, item: 2, ["0"], seq: 1, exam, t) == .stored)
            exam.at(minutes: 7, t)
            #expect(await failureCode { _ = try await login(exam, t) } == "resume_needs_invigilator")
            try await AttemptStore.control(first.attemptID, .allowResume, reason: "考生电脑死机，换至 12 号机", actor: .system("invigilator"),
                                           sealer: sealer, on: t.db, time: t.time)
            let second = try await login(exam, t)
            #expect(second.attemptID == first.attemptID)
            #expect(try await AttemptStore.authenticate(token: first.token, on: t.db) == nil)
            let after = try await AttemptStore.view(try await attempt(second.token, t), sealer: sealer, on: t.db, time: t.time)
            #expect(after.items.map(\.itemId) == before.items.map(\.itemId))
            #expect(after.items.map { $0.options.map(\.index) } == before.items.map { $0.options.map(\.index) })
            #expect(after.answers[exam.content.entries[2].itemID.uuidString]?.response == ["0"])
            #expect(after.remainingSeconds == before.remainingSeconds - 120)
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "exam.allow-resume").count() == 1)
        }
    }

    @Test("pauses freeze the clock, extensions move the end, and time up submits what was saved with no client present")
    func clock() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 2)
            let minutes = Double(try #require(try await ExamSession.find(exam.sessionID, on: t.db)).minutes)
            exam.at(minutes: 0, t)
            let a = try await login(exam, t, candidate: 0)
            let b = try await login(exam, t, candidate: 1)
            _ = try await AttemptStore.view(try await attempt(a.token, t), sealer: sealer, on: t.db, time: t.time)
            _ = try await AttemptStore.view(try await attempt(b.token, t), sealer: sealer, on: t.db, time: t.time)
            #expect(try await save(a.token, item: 2, ["1"], seq: 1, exam, t) == .stored)
            exam.at(minutes: 10, t)
            try await AttemptStore.control(a.attemptID, .pause, reason: "考生身体不适", actor: .system("invigilator"), sealer: sealer, on: t.db, time: t.time)
            exam.at(minutes: 20, t)
            let paused = try await AttemptStore.view(try await attempt(a.token, t), sealer: sealer, on: t.db, time: t.time)
            #expect(paused.paused && paused.remainingSeconds == Int(minutes - 10) * 60)
            try await AttemptStore.control(a.attemptID, .resume, reason: "已恢复", actor: .system("invigilator"), sealer: sealer, on: t.db, time: t.time)
            try await AttemptStore.control(a.attemptID, .extend(minutes: 5), reason: "停电补时", actor: .system("invigilator"), sealer: sealer, on: t.db, time: t.time)
            #expect(await failureCode {
                try await AttemptStore.control(a.attemptID, .extend(minutes: 5), reason: " ", actor: .system("invigilator"), sealer: sealer, on: t.db, time: t.time)
            } != nil)
            // Terminated for misconduct: ended with what was saved, marked, on the record.
            try await AttemptStore.control(b.attemptID, .terminate, reason: "携带手机作弊", actor: .system("invigilator"), sealer: sealer, on: t.db, time: t.time)
            #expect(try #require(try await ExamAttempt.find(b.attemptID, on: t.db)).statusValue == .terminated)

            // At the scheduled end A still has 15 minutes (10 paused + 5 extended); nobody is connected.
            exam.at(minutes: minutes + 14, t)
            #expect(try await AttemptStore.submitExpired(sealer: sealer, on: t.db, time: t.time) == 0)
            exam.at(minutes: minutes + 15.1, t)
            #expect(try await AttemptStore.submitExpired(sealer: sealer, on: t.db, time: t.time) == 1)
            let ended = try #require(try await ExamAttempt.find(a.attemptID, on: t.db))
            #expect(ended.statusValue == .submitted && ended.endedBy == "clock" && ended.score == 20)
            #expect(try await save(a.token, item: 0, ["1"], seq: 2, exam, t) == .closed)

            let console = try await AttemptStore.console(sessionID: exam.sessionID, on: t.db, time: t.time)
            #expect(Set(console.map(\.state)) == ["submitted", "terminated"])
            #expect(console.first { $0.attemptID == a.attemptID }?.answered == 1)
        }
    }

    @Test("fill-in answers off the accepted list wait for a marker and count nothing until marked")
    func fillInReview() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 1)
            exam.at(minutes: 1, t)
            let a = try await login(exam, t)
            _ = try await AttemptStore.view(try await attempt(a.token, t), sealer: sealer, on: t.db, time: t.time)
            #expect(try await save(a.token, item: 0, ["1"], seq: 1, exam, t) == .stored)
            #expect(try await save(a.token, item: 3, ["36伏"], seq: 2, exam, t) == .stored)
            let ended = try await AttemptStore.submit(try await attempt(a.token, t), endedBy: .candidate, reason: nil, actor: .system("candidate"),
                                                      sealer: sealer, on: t.db, time: t.time)
            #expect(ended.score == 40 && ended.pendingReview == 1)
            let answers = try await ExamAnswer.query(on: t.db).filter(\.$attemptID == a.attemptID).all()
            #expect(answers.first { $0.itemID == exam.content.entries[3].itemID }.map { $0.needsReview && $0.awarded == nil } == true)
        }
    }

    @Test("candidates signing in, loading the paper and saving all at once on one SQLite file all succeed")
    func concurrentCandidates() async throws {
        try await CommandLineTests.withFileBackedApp { t, _ in
            let exam = try await ComputerExam.make(t, candidates: 16)
            exam.at(minutes: 1, t)
            // `app.db` on each call: a connection from any event loop's pool, as requests on a server get them.
            let (logins, items, app, time, sealer) = (exam.logins.map { [$0.ticket, $0.idNumber] }, exam.content.entries.map(\.itemID), t.app, t.time, sealer)
            let outcomes = try await withThrowingTaskGroup(of: [AnswerSave].self) { group in
                for login in logins {
                    group.addTask {
                        let signedIn = try await AttemptStore.login(ticketNumber: login[0], idNumber: login[1], sessionPassword: nil, sealer: sealer, on: app.db, time: time)
                        guard let attempt = try await AttemptStore.authenticate(token: signedIn.token, on: app.db) else { return [] }
                        _ = try await AttemptStore.view(attempt, sealer: sealer, on: app.db, time: time)
                        var results: [AnswerSave] = []
                        for seq in 1...6 {
                            guard let current = try await AttemptStore.authenticate(token: signedIn.token, on: app.db) else { return results }
                            results.append(try await AttemptStore.save(current, itemID: items[seq % items.count], response: ["1"], seq: seq, sealer: sealer, on: app.db, time: time))
                        }
                        return results
                    }
                }
                var all: [[AnswerSave]] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(outcomes.count == 16 && outcomes.allSatisfy { $0 == Array(repeating: .stored, count: 6) })
            #expect(try await ExamAnswer.query(on: t.db).count() == 16 * 4)
        }
    }

    @Test("group commit: saves written together each get their own answer; the newest number wins; a replaced token and a closed attempt write nothing")
    func groupCommit() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 3)
            exam.at(minutes: 1, t)
            var keys: [AttemptStore.TokenKey] = []
            for i in 0..<3 {
                let a = try await login(exam, t, candidate: i)
                let current = try await attempt(a.token, t)
                _ = try await AttemptStore.view(current, sealer: sealer, on: t.db, time: t.time)
                keys.append(try AttemptStore.TokenKey(try await attempt(a.token, t)))
            }
            // Candidate 1's client is replaced by a resume elsewhere; candidate 2 has submitted.
            try await AttemptStore.control(keys[1].attemptID, .allowResume, reason: "换机", actor: .system("invigilator"), sealer: sealer, on: t.db, time: t.time)
            _ = try await login(exam, t, candidate: 1)
            let third = try #require(try await ExamAttempt.find(keys[2].attemptID, on: t.db))
            _ = try await AttemptStore.submit(third, endedBy: .candidate, reason: nil, actor: .system("candidate"), sealer: sealer, on: t.db, time: t.time)

            // One batch, in arrival order: 5 then 7 then a replay of 5 for the same answer; another answer; the old
            // client of candidate 1; candidate 2 after submission.
            let item = exam.content.entries[0].itemID, other = exam.content.entries[1].itemID
            func change(_ key: AttemptStore.TokenKey, _ item: UUID, _ value: String, _ seq: Int) -> AnswerCommitter.Save {
                AnswerCommitter.Save(attemptID: key.attemptID, tokenHash: key.tokenHash, itemID: item, json: "[\"\(value)\"]", seq: seq, at: t.time.now())
            }
            let outcomes = try await AnswerCommitter.write([change(keys[0], item, "1", 5), change(keys[0], item, "2", 7), change(keys[0], item, "1", 5),
                                                            change(keys[0], other, "3", 1), change(keys[1], item, "0", 1), change(keys[2], item, "0", 1)], on: t.db)
            #expect(outcomes.map { outcome -> String in
                switch outcome {
                case .decided(let result, _): "\(result)"
                case .revoked: "revoked"
                case .expired: "expired"
                }
            } == ["stored", "stored", "stale", "stored", "revoked", "closed"])
            let stored = try await ExamAnswer.query(on: t.db).all()
            #expect(stored.count == 2 && stored.first { $0.itemID == item }.map { $0.seq == 7 && $0.responseValues == ["2"] } == true)

            // Through one committer, from many tasks at once: each waits for its own answer, after the commit.
            let committer = AnswerCommitter(db: t.db)
            let results = try await withThrowingTaskGroup(of: AnswerCommitter.Outcome.self) { group in
                for save in (8...40).map({ change(keys[0], item, String($0 % 4), $0) }) { group.addTask { try await committer.commit(save) } }
                var all: [AnswerCommitter.Outcome] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(results.count == 33 && results.allSatisfy { if case .decided(let r, let clock) = $0 { [.stored, .stale].contains(r) && clock != nil } else { false } })
            let newest = try #require(try await ExamAnswer.query(on: t.db).filter(\.$itemID == item).first())
            #expect(newest.seq == 40 && newest.responseValues == ["0"])
        }
    }

    @Test("the paper view written by hand is the document JSONEncoder writes, escapes and all")
    func paperViewJSON() throws {
        typealias V = AttemptStore.PaperView
        let view = V(attemptId: UUID(), status: "in-progress", candidateName: "王\"小\"明", sessionTitle: "电工\n四级\\理论\u{1}",
                     startsInSeconds: 0, remainingSeconds: 5399, paused: true, totalPoints: 100,
                     items: [V.Item(itemId: UUID(), number: 1, type: "single-choice", stem: "电压为\t“380V”？", options: [.init(index: 2, text: "A\\B"), .init(index: 0, text: "</script>")], points: 40),
                             V.Item(itemId: UUID(), number: 2, type: "fill-in", stem: "", options: [], points: 10)],
                     answers: ["k1": .init(response: ["1", "2"], seq: 3), "k\"2": .init(response: [], seq: 0)])
        let mine = try JSONSerialization.jsonObject(with: Data(view.json().utf8)) as? NSDictionary
        let reference = try JSONSerialization.jsonObject(with: JSONEncoder().encode(view)) as? NSDictionary
        #expect(mine != nil && mine == reference)
    }
}

